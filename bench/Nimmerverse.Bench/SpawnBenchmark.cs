using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using NATS.Client.Core;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Actors.Linux;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Actors.Npc;
using Nimmerverse.Actors.World;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Identities;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Nats;

namespace Nimmerverse.Bench;

/// <summary>
/// What identities cost a brain's start (issue 13): spawn to first state, one brain at a time,
/// as before (an open bus, the brain as the supervisor's user) against as now (a user minted at
/// spawn and handed over on standard input, an authenticating bus, the brain switched to
/// nyx-nervous by setpriv), the two interleaved round by round on two buses of the same machine.
/// Each side has the world and the checkpoint keeper on its bus, as in the supervisor. Needs root
/// and the nyx-nervous user (./nimmerverse up or install makes it).
/// </summary>
public static class SpawnBenchmark
{
    public static async Task<int> RunAsync(int rounds)
    {
        if (UnixUser.Find("nyx-nervous") is not { } user)
        {
            Console.Error.WriteLine("no user nyx-nervous: run ./nimmerverse up or install first (systemd-sysusers systemd/nimmerverse.sysusers)");
            return 69;
        }

        var directory = Directory.CreateTempSubdirectory("nv-spawn-bench-").FullName;
        try
        {
            var identities = NatsIdentities.Create(directory);
            await using var openBus = await NatsServer.StartAsync();
            await using var securedBus = await NatsServer.StartAsync(config: identities.ServerConfig);
            await using var before = await Side.StartAsync(openBus.Url, NatsAuthOpts.Default, ProcessBrainLauncher.Instance);
            var credentialed = new CredentialedBrainLauncher(new ProcessBrainLauncher(user), identities.Minter(new Subjects("dev")));
            await using var now = await Side.StartAsync(securedBus.Url, new NatsAuthOpts { CredsFile = identities.SupervisorCreds("dev") }, credentialed, identities.OperatorCreds("dev"));

            Console.WriteLine($"{rounds} rounds, one brain at a time, interleaved; {Environment.ProcessorCount} cores; brain {RepositoryPaths.BrainExecutable}");
            await before.SpawnAsync(999); // the page cache and the JIT of this process, for both
            await now.SpawnAsync(998);
            var (a, b) = (new List<double>(), new List<double>());
            for (var round = 0; round < rounds; round++)
            {
                // Alternate which goes first, so neither always follows the other's exit.
                if (round % 2 == 0)
                {
                    a.Add(await before.SpawnAsync(round));
                    b.Add(await now.SpawnAsync(round));
                }
                else
                {
                    b.Add(await now.SpawnAsync(round));
                    a.Add(await before.SpawnAsync(round));
                }
            }

            Print("open bus, brain as root (baseline)", a);
            Print("minted creds, auth, nyx-nervous", b);
            var ratio = Median(b) / Median(a);
            var (low, high) = BootstrapRatio(a, b);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio of medians (now / before): {ratio:F3}  (95 % bootstrap interval {low:F3}-{high:F3}); target within 1.10"));
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static void Print(string name, List<double> ms)
    {
        var sorted = ms.Order().ToArray();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-36} first state ms: median {Median(ms),6:F0}  mean {ms.Average(),6:F0}  p90 {BenchSupport.Percentile(sorted, 0.9),6:F0}  max {sorted[^1],6:F0}"));
    }

    private static double Median(IEnumerable<double> values) => BenchSupport.Percentile(values.Order().ToArray(), 0.5);

    private static (double Low, double High) BootstrapRatio(List<double> a, List<double> b)
    {
        var random = new Random(13);
        var ratios = Enumerable.Range(0, 2000).Select(_ =>
            Median(b.Select(_ => b[random.Next(b.Count)])) / Median(a.Select(_ => a[random.Next(a.Count)]))).Order().ToArray();
        return (BenchSupport.Percentile(ratios, 0.025), BenchSupport.Percentile(ratios, 0.975));
    }

    /// <summary>One bus with the world and the checkpoint keeper on it, and a launcher of brains for it.</summary>
    private sealed class Side : IAsyncDisposable
    {
        private readonly ActorSystem _system;
        private readonly NatsConnection _bridgeConnection;
        private readonly NatsConnection _watcher;
        private readonly string _url;
        private readonly IBrainLauncher _launcher;

        private Side(ActorSystem system, NatsConnection bridgeConnection, NatsConnection watcher, string url, IBrainLauncher launcher) =>
            (_system, _bridgeConnection, _watcher, _url, _launcher) = (system, bridgeConnection, watcher, url, launcher);

        public static async Task<Side> StartAsync(string url, NatsAuthOpts supervisor, IBrainLauncher launcher, string? watcherCreds = null)
        {
            var system = ActorSystem.Create("bench", "akka.loglevel = WARNING");
            var bridgeConnection = new NatsConnection(new NatsOpts { Url = url, AuthOpts = supervisor });
            await bridgeConnection.ConnectAsync();
            var bridge = system.ActorOf(NatsBridgeActor.Props(bridgeConnection, NatsBridgeSettings.Default, "dev", new BridgeCounters()));
            var subjects = new Subjects("dev");
            system.ActorOf(GridWorldActor.Props(bridge, system.ActorOf(LifeforceLedgerActor.Props()), subjects, GridWorldSettings.Default with { Rows = 32, Columns = 32, Citizens = 1000 }, "bench"));
            system.ActorOf(CheckpointKeeperActor.Props(bridge, subjects, new MemoryCheckpoints(), "bench"));
            var watcher = new NatsConnection(new NatsOpts { Url = url, AuthOpts = watcherCreds is null ? supervisor : new NatsAuthOpts { CredsFile = watcherCreds } });
            await watcher.ConnectAsync();
            await Task.Delay(500); // the world and the keeper subscribe
            return new Side(system, bridgeConnection, watcher, url, launcher);
        }

        /// <summary>Starts NPC <paramref name="id"/>'s brain, returns the milliseconds to its first state, stops it.</summary>
        public async Task<double> SpawnAsync(int id)
        {
            await using var states = await _watcher.SubscribeCoreAsync<byte[]>($"dev.npc.{id}.state");
            await _watcher.PingAsync();
            var exited = new TaskCompletionSource();
            var arguments = BrainCommandLine.For(id, 5, "dev", new Uri(_url), "medium").ToArguments();
            var started = Stopwatch.GetTimestamp();
            var brain = _launcher.Start(RepositoryPaths.BrainExecutable, arguments, _ => exited.TrySetResult());
            await states.Msgs.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(120));
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            brain.Signal(BrainProcess.SigKill);
            await exited.Task.WaitAsync(TimeSpan.FromSeconds(30));
            brain.Dispose();
            return ms;
        }

        public async ValueTask DisposeAsync()
        {
            await _watcher.DisposeAsync();
            await _system.Terminate();
            await _bridgeConnection.DisposeAsync();
        }
    }
}
