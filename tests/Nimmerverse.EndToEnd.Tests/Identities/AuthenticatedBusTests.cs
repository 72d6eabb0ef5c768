using NATS.Client.Core;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Brains;
using Nimmerverse.Testing.Nats;
using Nimmerverse.Testing.Postgres;

namespace Nimmerverse.EndToEnd.Tests.Identities;

/// <summary>
/// The published supervisor on a bus that authenticates everyone: identities made by
/// <c>nimmerverse identities init</c>, nats-server in operator mode, the supervisor on its own
/// credentials, and each brain on credentials minted for it at spawn and handed over on its standard
/// input, running as the brains' own user. Strangers are refused; the brains tick, step and are heard
/// by a person holding the operator's credentials; a brain holds no privilege and cannot read another
/// identity's secrets.
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
        await WorkloadUsers.EnsureAsync();
        var directory = Directory.CreateTempSubdirectory("nv-identities-").FullName;
        try
        {
            var init = await ProcessRunner.RunAsync(Path.Combine(RepositoryPaths.PublishDirectory, "nimmerverse"), ["identities", "init", directory], timeout: TimeSpan.FromSeconds(60));
            Assert.That(init.ExitCode, Is.Zero, init.ToString());
            await using var nats = await NatsServer.StartAsync(config: Path.Combine(directory, "nats-server.conf"));
            await using var database = await PostgresTestDatabase.CreateAsync();
            await using var supervisor = SupervisorProcess.Start(SupervisorEnvironment.Local(nats.Url, database.ConnectionString,
                ("NIMMERVERSE_NPC__POPULATION", "2"), ("NIMMERVERSE_NPC__BACKEND", "none"), ("NIMMERVERSE_NATS__IDENTITIES", directory),
                ("NIMMERVERSE_NPC__USER", WorkloadUsers.Brains), ("NIMMERVERSE_NPC__BRAINPATH", BrainReachableBy(WorkloadUsers.Brains))));
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

            Assert.That(Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Where(f => f.Contains("npc", StringComparison.Ordinal)), Is.Empty, "an NPC's credentials are never on disk");
            var brain = supervisor.BrainPids()[0];
            Assert.That(File.ReadAllText($"/proc/{brain}/cmdline").Split('\0'), Does.Contain("--creds").And.Contain("-"), "they came on its standard input");

            var status = ProcStatus(brain);
            var uid = WorkloadUsers.UidOf(WorkloadUsers.Brains).ToString(System.Globalization.CultureInfo.InvariantCulture);
            Assert.That(status["Uid"].Split('\t'), Is.All.EqualTo(uid), $"real, effective, saved and file uid are {WorkloadUsers.Brains}'s");
            Assert.That(status["NoNewPrivs"], Is.EqualTo("1"), "no exec can give it privileges back");
            Assert.That(new[] { status["CapInh"], status["CapPrm"], status["CapEff"], status["CapAmb"] }, Is.All.EqualTo("0000000000000000"), "no capability at all");

            // What another process of the brains' user can read: not a brain's memory or environment
            // (it is not dumpable), not the supervisor's or the operator's credentials, not the signing key.
            foreach (var secret in new[] { $"/proc/{brain}/environ", Path.Combine(directory, "creds", "supervisor-dev.creds"), Path.Combine(directory, "creds", "operator-dev.creds"), Path.Combine(directory, "accounts", "dev.signing.nk") })
            {
                var read = await ProcessRunner.RunAsync("setpriv", [$"--reuid={uid}", $"--regid={uid}", "--init-groups", "cat", secret]);
                Assert.That(read.ExitCode, Is.Not.Zero, $"{WorkloadUsers.Brains} read {secret}");
                Assert.That(read.StandardError, Does.Contain("Permission denied"), secret);
            }

            var api = await supervisor.StatusAsync();
            Assert.That(api.GetProperty("nats").GetProperty("state").GetString(), Is.EqualTo("open"), "the supervisor is on its own credentials");
            Assert.That(api.GetProperty("nats").GetProperty("permission_violations").EnumerateObject(), Is.Empty, "nothing was refused to anyone");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static Dictionary<string, string> ProcStatus(int pid) =>
        File.ReadLines($"/proc/{pid}/status").Select(line => line.Split(':', 2)).ToDictionary(f => f[0], f => f[1].Trim());

    /// <summary>
    /// The published brain, or where the checkout is closed to <paramref name="user"/> (under a home
    /// folder of mode 0700, say), a linked copy it can reach, as an installed brain in /opt is.
    /// </summary>
    private static string BrainReachableBy(string user)
    {
        var brain = Path.Combine(RepositoryPaths.PublishDirectory, "brain", "nimmerverse-brain");
        var check = ProcessRunner.RunAsync("setpriv", [$"--reuid={user}", $"--regid={user}", "--init-groups", "test", "-x", brain]).GetAwaiter().GetResult();
        if (check.ExitCode == 0)
        {
            return brain;
        }

        var copy = Path.Combine("/tmp", $"nv-brain-{Environment.ProcessId}");
        if (!Directory.Exists(copy))
        {
            // Hard links where /tmp is on the checkout's file system, a copy where it is not.
            var from = Path.GetDirectoryName(brain)!;
            var link = ProcessRunner.RunAsync("sh", ["-c", "cp -al \"$0\" \"$1\" 2>/dev/null || cp -a \"$0\" \"$1\"", from, copy]).GetAwaiter().GetResult();
            Assert.That(link.ExitCode, Is.Zero, link.ToString());
        }

        return Path.Combine(copy, "nimmerverse-brain");
    }
}
