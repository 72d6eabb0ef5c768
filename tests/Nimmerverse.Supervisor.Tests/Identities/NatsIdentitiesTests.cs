using System.Text;
using NATS.Client.Core;
using NATS.NKeys;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Identities;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Brains;
using Nimmerverse.Testing.Nats;

namespace Nimmerverse.Supervisor.Tests.Identities;

/// <summary>
/// The minted identities against a real nats-server in operator mode (<c>resolver: MEMORY</c>):
/// strangers are refused, accounts keep environments apart, and an NPC's credentials reach its own
/// subjects only.
/// </summary>
[Category(TestTier.Integration)]
public sealed class NatsIdentitiesTests
{
    private AuthenticatingBus _bus = null!;
    private readonly Subjects _dev = new("dev");

    [OneTimeSetUp]
    public async Task StartAnAuthenticatingServer() => _bus = await AuthenticatingBus.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _bus.DisposeAsync();

    private async Task<NatsConnection> ConnectAsync(string? creds, string? inboxPrefix = null)
    {
        var connection = new NatsConnection(new NatsOpts
        {
            Url = _bus.Nats.Url,
            AuthOpts = creds is null ? NatsAuthOpts.Default : new NatsAuthOpts { CredsFile = creds },
            InboxPrefix = inboxPrefix ?? "_INBOX",
            MaxReconnectRetry = 0,
        });
        await connection.ConnectAsync();
        return connection;
    }

    /// <summary>NPC <paramref name="npcId"/>'s creds, written to a file as a person running a brain by hand would.</summary>
    private string MintNpc(int npcId, DateTimeOffset? expires = null)
    {
        var path = Path.Combine(_bus.Directory, "npcs", $"npc-{npcId}.creds");
        Secret.Write(path, NpcMinter.Open(_bus.Identities.SigningKey("dev"), _bus.Identities.AccountJwt("dev"), _dev).Mint(npcId, expires));
        return path;
    }

    /// <summary>Whether <paramref name="publish"/> on <paramref name="subject"/> reaches a subscriber of <paramref name="watcher"/>.</summary>
    private static async Task<bool> ArrivesAsync(NatsConnection watcher, string subject, Func<Task> publish)
    {
        await using var subscription = await watcher.SubscribeCoreAsync<byte[]>(subject);
        await watcher.PingAsync();
        await publish();
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            return await subscription.Msgs.WaitToReadAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [Test]
    public void A_client_without_credentials_is_refused()
    {
        Assert.ThrowsAsync<NatsException>(async () => await ConnectAsync(null));
    }

    [Test]
    public async Task The_cli_says_the_server_refused_it_rather_than_that_it_cannot_reach_it()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var stranger = await new Nimmerverse.Supervisor.Cli.NatsCommand(output, error).RunAsync(["pub", "dev.npc.3.command", "{}"], _bus.Nats.Url, default);
        var expired = await new Nimmerverse.Supervisor.Cli.NatsCommand(output, error).RunAsync(["pub", "dev.npc.3.command", "{}", "--creds", MintNpc(3, DateTimeOffset.UtcNow.AddMinutes(-1))], _bus.Nats.Url, default);

        Assert.That((stranger, expired), Is.EqualTo((Nimmerverse.Supervisor.Cli.NatsCommand.ExitNoPermission, Nimmerverse.Supervisor.Cli.NatsCommand.ExitNoPermission)), error.ToString());
        Assert.That(error.ToString(), Does.Contain("refused no credentials were given (--creds FILE)").And.Contain("refused the credentials in").And.Not.Contain("cannot reach"));
    }

    [Test]
    public void An_NPC_user_past_its_expiry_is_refused()
    {
        var error = Assert.ThrowsAsync<NatsException>(async () => await ConnectAsync(MintNpc(3, DateTimeOffset.UtcNow.AddMinutes(-1)), _dev.NpcInboxPrefix(3)));
        Assert.That(error!.GetBaseException().Message, Does.Contain("Authorization Violation").IgnoreCase.Or.Contain("expired").IgnoreCase);
    }

    private string MintNpcText(int npcId, DateTimeOffset? expires = null) =>
        NpcMinter.Open(_bus.Identities.SigningKey("dev"), _bus.Identities.AccountJwt("dev"), _dev).Mint(npcId, expires);

    [Test]
    [CancelAfter(120_000)]
    public async Task A_brain_whose_credentials_are_refused_exits_77_saying_so()
    {
        await using var expired = BrainProcess.StartReading(MintNpcText(3, DateTimeOffset.UtcNow.AddMinutes(-1)), 3, _bus.Nats.Url, 5, "--env", "dev", "--creds", "-");
        await using var empty = BrainProcess.StartReading("no credentials here", 4, _bus.Nats.Url, 5, "--env", "dev", "--creds", "-");

        Assert.That(await expired.WaitForExitAsync(TimeSpan.FromSeconds(60)), Is.EqualTo(77), expired.ToString());
        Assert.That(expired.Log, Has.Some.Contains("the bus refused this NPC's credentials").And.Some.Contains("to be started again with fresh ones"));
        Assert.That(await empty.WaitForExitAsync(TimeSpan.FromSeconds(60)), Is.EqualTo(77), empty.ToString());
        Assert.That(empty.Log, Has.Some.Contains("standard input held no NATS credentials"));
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task A_brain_on_another_NPCs_credentials_is_refused_its_subjects_and_counts_it()
    {
        // NPC 4's brain with NPC 3's credentials: every subject it needs belongs to NPC 4.
        await using var supervisor = await ConnectAsync(_bus.Identities.SupervisorCreds("dev"));
        await using var states = await supervisor.SubscribeCoreAsync<byte[]>("dev.npc.*.state");
        await supervisor.PingAsync();
        await using var impostor = BrainProcess.StartReading(MintNpcText(3), 4, _bus.Nats.Url, 5, "--env", "dev", "--creds", "-");

        var logged = await Eventually.TrueAsync(() => Task.FromResult(impostor.Log.Any(l => l.Contains("the bus refused this NPC: Permissions Violation", StringComparison.Ordinal))), TimeSpan.FromSeconds(60));

        Assert.That(logged, Is.True, impostor.ToString());
        Assert.That(impostor.HasExited, Is.False, "refused subjects are counted, not fatal: its credentials are valid");
        using var none = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        Assert.That(async () => await states.Msgs.WaitToReadAsync(none.Token), Throws.InstanceOf<OperationCanceledException>(), "none of its states reached the bus");
    }

    [Test]
    public async Task The_files_are_what_they_claim_and_secrets_are_mode_0400()
    {
        var operatorJwt = (await File.ReadAllTextAsync(Path.Combine(_bus.Directory, "operator.jwt"))).Trim();
        using var operatorKey = KeyPair.FromSeed((await File.ReadAllTextAsync(Path.Combine(_bus.Directory, "operator.nk"))).Trim());
        var account = NatsJwt.Verified((await File.ReadAllTextAsync(_bus.Identities.AccountJwt("dev"))).Trim(), operatorKey.GetPublicKey());

        Assert.That(NatsJwt.Verified(operatorJwt, operatorKey.GetPublicKey())?["nats"]?["type"]?.GetValue<string>(), Is.EqualTo("operator"));
        Assert.That(account?["name"]?.GetValue<string>(), Is.EqualTo("dev"), "the dev account, signed by the operator");
        Assert.That(NatsJwt.Verified((await File.ReadAllTextAsync(_bus.Identities.AccountJwt("dev"))).Trim(), KeyPair.CreatePair(PrefixByte.Operator).GetPublicKey()), Is.Null, "another key's signature does not verify");
        foreach (var secret in new[] { Path.Combine(_bus.Directory, "operator.nk"), _bus.Identities.SigningKey("prod"), _bus.Identities.SupervisorCreds("dev") })
        {
            Assert.That(OperatingSystem.IsLinux() ? File.GetUnixFileMode(secret) : default, Is.EqualTo(UnixFileMode.UserRead), secret);
        }

        var again = NatsIdentities.Create(_bus.Directory);
        Assert.That((await File.ReadAllTextAsync(Path.Combine(_bus.Directory, "operator.jwt"))).Trim(), Is.EqualTo(operatorJwt), "a second init keeps every key");
        Assert.That(again.ServerConfig, Is.EqualTo(_bus.Identities.ServerConfig));
    }

    [Test]
    public async Task An_NPC_reaches_its_own_subjects_and_nothing_else()
    {
        await using var supervisor = await ConnectAsync(_bus.Identities.SupervisorCreds("dev"));
        await using var npc3 = await ConnectAsync(MintNpc(3), _dev.NpcInboxPrefix(3));
        var payload = Encoding.UTF8.GetBytes("{}");

        var reached = new Dictionary<string, bool>
        {
            ["its own state"] = await ArrivesAsync(supervisor, "dev.npc.3.state", () => npc3.PublishAsync("dev.npc.3.state", payload).AsTask()),
            ["its own checkpoint"] = await ArrivesAsync(supervisor, "dev.supervisor.checkpoints.3.save", () => npc3.PublishAsync("dev.supervisor.checkpoints.3.save", payload).AsTask()),
            ["its own commands"] = await ArrivesAsync(npc3, "dev.npc.3.command", () => supervisor.PublishAsync("dev.npc.3.command", payload).AsTask()),
            ["another NPC's state"] = await ArrivesAsync(supervisor, "dev.npc.4.state", () => npc3.PublishAsync("dev.npc.4.state", payload).AsTask()),
            ["another NPC's command"] = await ArrivesAsync(supervisor, "dev.npc.4.command", () => npc3.PublishAsync("dev.npc.4.command", payload).AsTask()),
            ["another NPC's memory"] = await ArrivesAsync(supervisor, "dev.supervisor.checkpoints.4.save", () => npc3.PublishAsync("dev.supervisor.checkpoints.4.save", payload).AsTask()),
            ["a gate"] = await ArrivesAsync(supervisor, "dev.thalamus.gate.open", () => npc3.PublishAsync("dev.thalamus.gate.open", payload).AsTask()),
            ["the governor's allocation"] = await ArrivesAsync(supervisor, "dev.thalamus.governor.allocate", () => npc3.PublishAsync("dev.thalamus.governor.allocate", payload).AsTask()),
            ["a subscription to everything"] = await ArrivesAsync(npc3, ">", () => supervisor.PublishAsync("dev.npc.4.command", payload).AsTask()),
            ["another NPC's answers"] = await ArrivesAsync(npc3, "_INBOX.>", () => supervisor.PublishAsync("_INBOX.dev.npc.4.reply", payload).AsTask()),
        };

        Assert.That(reached.Where(r => r.Value).Select(r => r.Key), Is.EqualTo(new[] { "its own state", "its own checkpoint", "its own commands" }), "what NPC 3's credentials reached");
    }

    [Test]
    public async Task An_NPCs_request_is_answered_on_its_own_inbox()
    {
        await using var supervisor = await ConnectAsync(_bus.Identities.SupervisorCreds("dev"));
        await using var npc3 = await ConnectAsync(MintNpc(3), _dev.NpcInboxPrefix(3));
        await using var steps = await supervisor.SubscribeCoreAsync<byte[]>(_dev.WorldStep.Value);
        await supervisor.PingAsync(); // the subscription is at the server
        var answering = Task.Run(async () =>
        {
            var request = await steps.Msgs.ReadAsync();
            await request.ReplyAsync(Encoding.UTF8.GetBytes("moved"));
            return request.ReplyTo;
        });

        var reply = await npc3.RequestAsync<byte[], byte[]>(_dev.WorldStep.Value, Encoding.UTF8.GetBytes("N"), replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(5) });

        Assert.That(Encoding.UTF8.GetString(reply.Data!), Is.EqualTo("moved"));
        Assert.That(await answering, Does.StartWith("_INBOX.dev.npc.3."));
    }

    [Test]
    public async Task Environments_are_accounts_apart_even_on_the_same_subjects()
    {
        await using var dev = await ConnectAsync(_bus.Identities.SupervisorCreds("dev"));
        await using var prod = await ConnectAsync(_bus.Identities.SupervisorCreds("prod"));

        Assert.That(await ArrivesAsync(prod, ">", () => dev.PublishAsync("prod.npc.3.command", Encoding.UTF8.GetBytes("{}")).AsTask()), Is.False, "dev cannot reach prod, whatever subject it writes");
        Assert.That(await ArrivesAsync(prod, "prod.npc.3.command", () => prod.PublishAsync("prod.npc.3.command", Encoding.UTF8.GetBytes("{}")).AsTask()), Is.True);
    }
}
