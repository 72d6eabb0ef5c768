using NATS.Client.Core;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Identities;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Nats;

namespace Nimmerverse.Supervisor.Tests.Identities;

/// <summary>
/// A signing-key rotation against a real nats-server in operator mode, reloaded as an operator would
/// (SIGHUP): while it is under way users of the old and the new key are both let in; once the old
/// key is retired, its users are refused and the new ones still work.
/// </summary>
[Category(TestTier.Integration)]
public sealed class SigningKeyRotationTests
{
    private AuthenticatingBus _bus = null!;

    [SetUp]
    public async Task StartAnAuthenticatingServer() => _bus = await AuthenticatingBus.StartAsync();

    [TearDown]
    public async Task Stop() => await _bus.DisposeAsync();

    /// <summary>Whether a connection with <paramref name="creds"/> (the text of a .creds file) is let in.</summary>
    private async Task<bool> AdmitsAsync(string creds)
    {
        await using var connection = new NatsConnection(new NatsOpts { Url = _bus.Nats.Url, AuthOpts = new NatsAuthOpts { Creds = creds }, MaxReconnectRetry = 0 });
        try
        {
            await connection.ConnectAsync();
            return true;
        }
        catch (NatsException)
        {
            return false;
        }
    }

    private string MintNpc(int npcId) => _bus.Identities.Minter(new Subjects("dev")).Mint(npcId);

    [Test]
    [CancelAfter(60_000)]
    public async Task During_a_rotation_both_keys_are_trusted_and_after_it_only_the_new_one()
    {
        var oldSupervisor = await File.ReadAllTextAsync(_bus.Identities.SupervisorCreds("dev"));
        var oldNpc = MintNpc(3);
        var prodSupervisor = await File.ReadAllTextAsync(_bus.Identities.SupervisorCreds("prod"));

        _bus.Identities.RotateSigningKey("dev");
        await _bus.Nats.ReloadAsync();
        var newSupervisor = await File.ReadAllTextAsync(_bus.Identities.SupervisorCreds("dev"));
        var newNpc = MintNpc(3);

        Assert.That(newSupervisor, Is.Not.EqualTo(oldSupervisor), "the supervisor's user is minted anew with the new key");
        Assert.That(await Eventually.TrueAsync(() => AdmitsAsync(newNpc), TimeSpan.FromSeconds(10)), Is.True, "the reloaded server trusts the new key");
        Assert.That(await AdmitsAsync(newSupervisor), Is.True);
        Assert.That(await AdmitsAsync(oldSupervisor), Is.True, "and still the previous one, until it is retired");
        Assert.That(await AdmitsAsync(oldNpc), Is.True);

        await using var running = new NatsConnection(new NatsOpts { Url = _bus.Nats.Url, AuthOpts = new NatsAuthOpts { Creds = oldNpc }, MaxReconnectRetry = 0 });
        await running.ConnectAsync();
        _bus.Identities.RetireSigningKey("dev");
        await _bus.Nats.ReloadAsync();

        Assert.That(await Eventually.TrueAsync(() => Task.FromResult(running.ConnectionState != NatsConnectionState.Open), TimeSpan.FromSeconds(10)), Is.True, "a connection of the retired key is cut");
        Assert.That(await Eventually.TrueAsync(async () => !await AdmitsAsync(oldSupervisor), TimeSpan.FromSeconds(10)), Is.True, "the retired key's users are refused");
        Assert.That(await AdmitsAsync(oldNpc), Is.False);
        Assert.That(await AdmitsAsync(newSupervisor), Is.True, "the new key's users are not");
        Assert.That(await AdmitsAsync(MintNpc(4)), Is.True);
        Assert.That(await AdmitsAsync(prodSupervisor), Is.True, "another environment is untouched");
        Assert.That(File.Exists(_bus.Identities.PreviousSigningKey("dev")), Is.False);
    }

    [Test]
    public void The_steps_must_come_in_order()
    {
        Assert.That(() => _bus.Identities.RetireSigningKey("dev"), Throws.InvalidOperationException.With.Message.Contains("no rotation"));
        _bus.Identities.RotateSigningKey("dev");
        Assert.That(() => _bus.Identities.RotateSigningKey("dev"), Throws.InvalidOperationException.With.Message.Contains("under way"));
        Assert.That(NatsIdentities.Create(_bus.Directory).SigningKey("dev"), Is.EqualTo(_bus.Identities.SigningKey("dev")), "init during a rotation keeps both keys");
        Assert.That(File.Exists(_bus.Identities.PreviousSigningKey("dev")), Is.True);
    }
}
