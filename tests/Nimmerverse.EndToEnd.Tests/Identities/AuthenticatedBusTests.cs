using NATS.Client.Core;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Brains;
using Nimmerverse.Testing.Nats;
using Nimmerverse.Testing.Postgres;

namespace Nimmerverse.EndToEnd.Tests.Identities;

/// <summary>
/// The published supervisor on a bus that authenticates everyone: identities made by
/// <c>nimmerverse identities init</c>, nats-server in operator mode, the supervisor on its own
/// credentials, and each brain on credentials minted for it at spawn. Strangers are refused; the
/// brains tick, step and are heard by a person holding the operator's credentials.
/// </summary>
[Category(TestTier.System)]
[NonParallelizable]
public sealed class AuthenticatedBusTests
{
    [Test]
    [CancelAfter(180_000)]
    public async Task Brains_on_minted_credentials_run_on_a_bus_that_refuses_strangers()
    {
        await Published.EnsureAsync();
        var directory = Directory.CreateTempSubdirectory("nv-identities-").FullName;
        try
        {
            var init = await ProcessRunner.RunAsync(Path.Combine(RepositoryPaths.PublishDirectory, "nimmerverse"), ["identities", "init", directory], timeout: TimeSpan.FromSeconds(60));
            Assert.That(init.ExitCode, Is.Zero, init.ToString());
            await using var nats = await NatsServer.StartAsync(config: Path.Combine(directory, "nats-server.conf"));
            await using var database = await PostgresTestDatabase.CreateAsync();
            await using var supervisor = SupervisorProcess.Start(SupervisorEnvironment.Local(nats.Url, database.ConnectionString,
                ("NIMMERVERSE_NPC__POPULATION", "2"), ("NIMMERVERSE_NPC__BACKEND", "none"), ("NIMMERVERSE_NATS__IDENTITIES", directory)));
            await supervisor.WaitUntilUpAsync(TimeSpan.FromSeconds(60));

            Assert.ThrowsAsync<NatsException>(async () =>
            {
                await using var stranger = new NatsConnection(new NatsOpts { Url = nats.Url, MaxReconnectRetry = 0 });
                await stranger.ConnectAsync();
            }, "a client without credentials is refused");

            await using var person = new NatsConnection(new NatsOpts { Url = nats.Url, AuthOpts = new NatsAuthOpts { CredsFile = Path.Combine(directory, "creds", "operator-dev.creds") } });
            foreach (var id in new[] { 0, 1 })
            {
                await using var watcher = await NpcStateWatcher.StartAsync(person, id);
                Assert.That(await watcher.WaitForAsync(s => s.Steps > 0, TimeSpan.FromSeconds(60)), Is.Not.Null, $"NPC {id} ticks and steps on its own credentials\n{supervisor}");
            }

            var creds = Path.Combine(directory, "npcs", "dev", "npc-0.creds");
            Assert.That(File.Exists(creds), Is.True, "minted at spawn");
            Assert.That(OperatingSystem.IsLinux() ? File.GetUnixFileMode(creds) : default, Is.EqualTo(UnixFileMode.UserRead));
            var status = await supervisor.StatusAsync();
            Assert.That(status.GetProperty("nats").GetProperty("state").GetString(), Is.EqualTo("open"), "the supervisor is on its own credentials");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
