using System.Text;
using NATS.Client.Core;
using NATS.NKeys;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Identities;
using Nimmerverse.Testing;
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
    private string _directory = null!;
    private NatsIdentities _identities = null!;
    private NatsServer _nats = null!;
    private readonly Subjects _dev = new("dev");

    [OneTimeSetUp]
    public async Task StartAnAuthenticatingServer()
    {
        _directory = Directory.CreateTempSubdirectory("nv-identities-").FullName;
        _identities = NatsIdentities.Create(_directory);
        _nats = await NatsServer.StartAsync(config: _identities.ServerConfig);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _nats.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<NatsConnection> ConnectAsync(string? creds, string? inboxPrefix = null)
    {
        var connection = new NatsConnection(new NatsOpts
        {
            Url = _nats.Url,
            AuthOpts = creds is null ? NatsAuthOpts.Default : new NatsAuthOpts { CredsFile = creds },
            InboxPrefix = inboxPrefix ?? "_INBOX",
            MaxReconnectRetry = 0,
        });
        await connection.ConnectAsync();
        return connection;
    }

    private string MintNpc(int npcId)
    {
        var path = Path.Combine(_directory, "npcs", $"npc-{npcId}.creds");
        NpcMinter.Open(_identities.SigningKey("dev"), _identities.AccountJwt("dev"), _dev).Mint(npcId, path);
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
    public async Task The_files_are_what_they_claim_and_secrets_are_mode_0400()
    {
        var operatorJwt = (await File.ReadAllTextAsync(Path.Combine(_directory, "operator.jwt"))).Trim();
        using var operatorKey = KeyPair.FromSeed((await File.ReadAllTextAsync(Path.Combine(_directory, "operator.nk"))).Trim());
        var account = NatsJwt.Verified((await File.ReadAllTextAsync(_identities.AccountJwt("dev"))).Trim(), operatorKey.GetPublicKey());

        Assert.That(NatsJwt.Verified(operatorJwt, operatorKey.GetPublicKey())?["nats"]?["type"]?.GetValue<string>(), Is.EqualTo("operator"));
        Assert.That(account?["name"]?.GetValue<string>(), Is.EqualTo("dev"), "the dev account, signed by the operator");
        Assert.That(NatsJwt.Verified((await File.ReadAllTextAsync(_identities.AccountJwt("dev"))).Trim(), KeyPair.CreatePair(PrefixByte.Operator).GetPublicKey()), Is.Null, "another key's signature does not verify");
        foreach (var secret in new[] { Path.Combine(_directory, "operator.nk"), _identities.SigningKey("prod"), _identities.SupervisorCreds("dev"), MintNpc(9) })
        {
            Assert.That(OperatingSystem.IsLinux() ? File.GetUnixFileMode(secret) : default, Is.EqualTo(UnixFileMode.UserRead), secret);
        }

        var again = NatsIdentities.Create(_directory);
        Assert.That((await File.ReadAllTextAsync(Path.Combine(_directory, "operator.jwt"))).Trim(), Is.EqualTo(operatorJwt), "a second init keeps every key");
        Assert.That(again.ServerConfig, Is.EqualTo(_identities.ServerConfig));
    }

    [Test]
    public async Task An_NPC_reaches_its_own_subjects_and_nothing_else()
    {
        await using var supervisor = await ConnectAsync(_identities.SupervisorCreds("dev"));
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
        await using var supervisor = await ConnectAsync(_identities.SupervisorCreds("dev"));
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
        await using var dev = await ConnectAsync(_identities.SupervisorCreds("dev"));
        await using var prod = await ConnectAsync(_identities.SupervisorCreds("prod"));

        Assert.That(await ArrivesAsync(prod, ">", () => dev.PublishAsync("prod.npc.3.command", Encoding.UTF8.GetBytes("{}")).AsTask()), Is.False, "dev cannot reach prod, whatever subject it writes");
        Assert.That(await ArrivesAsync(prod, "prod.npc.3.command", () => prod.PublishAsync("prod.npc.3.command", Encoding.UTF8.GetBytes("{}")).AsTask()), Is.True);
    }
}
