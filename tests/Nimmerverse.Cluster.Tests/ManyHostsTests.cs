using System.Collections.Concurrent;
using System.Diagnostics;
using NATS.Client.Core;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Brains;
using Nimmerverse.Testing.Cluster;
using Nimmerverse.Testing.Nats;
using Nimmerverse.Testing.Postgres;

namespace Nimmerverse.Cluster.Tests;

/// <summary>
/// Three published supervisors as three hosts of one cluster, with real brains (plain children, so a host's brains
/// end with its supervisor): the village is spread by capacity; a whole host is lost and its NPCs tick again on the
/// others; it comes back and takes its share again by checkpoint, stop and start; every host is restarted in turn.
/// A census of every brain process on the bus, taken every 100 ms throughout, proves that no NPC ever runs twice.
/// </summary>
[Category(TestTier.System)]
[NonParallelizable] // eight brains and three supervisors: side by side with another such test they starve each other
public sealed class ManyHostsTests
{
    private const int Citizens = 8;

    private static readonly (string Host, int Capacity)[] Hosts = [("alpha", 4), ("beta", 4), ("gamma", 8)];

    [Test]
    [CancelAfter(300_000)]
    public async Task A_lost_host_s_npcs_tick_again_elsewhere_and_come_back_when_it_returns_never_twice()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var cluster = await HostCluster.StartAsync(nats.Url, database.ConnectionString, Hosts,
            ("NIMMERVERSE_WORLD__CITIZENS", $"{Citizens}"), ("NIMMERVERSE_NPC__BACKEND", "none"),
            ("NIMMERVERSE_AKKA__STABLEAFTER", "00:00:04"), ("NIMMERVERSE_NPC__LEASETIMEOUT", "00:00:04"));
        await using var client = new NatsConnection(new NatsOpts { Url = nats.Url });
        var watchers = await Task.WhenAll(Enumerable.Range(0, Citizens).Select(id => NpcStateWatcher.StartAsync(client, id)));
        using var census = new TwinCensus(cluster);
        try
        {
            // Spread by capacity: 8 NPCs over capacities 4, 4 and 8 (the first hosts up take them all, and hand the
            // later ones their shares, two moves at a time).
            var fair = new Dictionary<string, int> { ["alpha"] = 2, ["beta"] = 2, ["gamma"] = 4 };
            Assert.That(await Eventually.TrueAsync(() => Task.FromResult(cluster.Placement().Count == Citizens && Shares(cluster).OrderBy(s => s.Key).SequenceEqual(fair)), TimeSpan.FromSeconds(120)), Is.True, $"every NPC runs, spread by capacity: {string.Join(", ", Shares(cluster))}\n{cluster}");
            foreach (var watcher in watchers)
            {
                Assert.That(await watcher.WaitForAsync(s => s.Steps > 0, TimeSpan.FromSeconds(90)), Is.Not.Null, cluster.ToString());
            }

            // alpha, the oldest member (governor, world and placement live there), is lost with its brains.
            var lost = cluster.Placement().Where(p => p.Value == "alpha").Select(p => p.Key).ToArray();
            var clock = Stopwatch.StartNew();
            await cluster["alpha"].KillHardAsync();

            Assert.That(await Eventually.TrueAsync(() => Task.FromResult(cluster.Placement().Count == Citizens), TimeSpan.FromSeconds(90)), Is.True, $"alpha's NPCs {string.Join(",", lost)} run elsewhere\n{cluster}");
            var movedAt = clock.Elapsed;
            var placedAt = DateTimeOffset.UtcNow;
            foreach (var id in lost)
            {
                Assert.That(await Eventually.TrueAsync(() => Task.FromResult(watchers[id].States.Any(s => s.At > placedAt)), TimeSpan.FromSeconds(60)), Is.True, $"NPC {id} ticks again\n{cluster}");
            }

            TestContext.Out.WriteLine($"alpha's NPCs {string.Join(",", lost)} ran again elsewhere {movedAt.TotalSeconds:F1} s after it was lost (stable-after 4 s, lease 4 s)");
            Assert.That(await Eventually.TrueAsync(() => Task.FromResult(cluster["beta"].Log.Any(l => l.Contains("NPC placement up", StringComparison.Ordinal))), TimeSpan.FromSeconds(30)), Is.True, "the placement moved to the next oldest member");
            Assert.That(await Eventually.TrueAsync(() => Task.FromResult(cluster["beta"].Log.Any(l => l.Contains("Governor up on beta", StringComparison.Ordinal))), TimeSpan.FromSeconds(30)), Is.True, $"and so did the governor\n{cluster}");

            // alpha returns (same name, same port) and takes its fair share again: moved by checkpoint, stop, start.
            await cluster.StartAsync("alpha");
            Assert.That(await Eventually.TrueAsync(() => Task.FromResult(Shares(cluster).GetValueOrDefault("alpha") == 2 && cluster.Placement().Count == Citizens), TimeSpan.FromSeconds(120)), Is.True, $"alpha runs two NPCs again\n{cluster}");
            foreach (var id in cluster.Placement().Where(p => p.Value == "alpha").Select(p => p.Key))
            {
                var restored = await watchers[id].WaitForAsync(s => s.Tick < 20 && s.Steps > 20, TimeSpan.FromSeconds(60));
                Assert.That(restored, Is.Not.Null, $"NPC {id} moved with its checkpoint: a new brain (low tick) that has learnt before (steps)\n{cluster}");
            }
        }
        finally
        {
            foreach (var watcher in watchers)
            {
                await watcher.DisposeAsync();
            }
        }

        Assert.That(census.Samples, Is.GreaterThan(100), "the census watched throughout");
        Assert.That(census.Twins, Is.Empty, "no NPC ever ran twice");
    }

    [Test]
    [CancelAfter(300_000)]
    public async Task A_rolling_restart_of_every_host_keeps_every_npc_s_learning_and_never_runs_one_twice()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var cluster = await HostCluster.StartAsync(nats.Url, database.ConnectionString, EvenHosts, SixCitizens);
        await using var client = new NatsConnection(new NatsOpts { Url = nats.Url });
        var watchers = await Task.WhenAll(Enumerable.Range(0, 6).Select(id => NpcStateWatcher.StartAsync(client, id)));
        using var census = new TwinCensus(cluster);
        try
        {
            await TwoOnEachHostLearningAsync(cluster, watchers, steps: 20);

            foreach (var host in new[] { "alpha", "beta", "gamma" })
            {
                // A new build would be installed here; the host stops gracefully (its brains hand over their weights) and starts again.
                var learnt = watchers.Select(w => w.Latest!.Steps).ToArray();
                await cluster.StartAsync(host);
                Assert.That(await Eventually.TrueAsync(() => Task.FromResult(cluster.Placement().Count == 6 && Shares(cluster).GetValueOrDefault(host) == 2), TimeSpan.FromSeconds(120)), Is.True, $"{host} is back with its share\n{cluster}");
                for (var id = 0; id < 6; id++)
                {
                    var before = learnt[id];
                    Assert.That(await watchers[id].WaitForAsync(s => s.Steps >= before, TimeSpan.FromSeconds(60)), Is.Not.Null, $"NPC {id} kept what it had learnt ({before} steps) through {host}'s restart\n{cluster}");
                }
            }
        }
        finally
        {
            foreach (var watcher in watchers)
            {
                await watcher.DisposeAsync();
            }
        }

        Assert.That(census.Twins, Is.Empty, "no NPC ever ran twice");
    }

    /// <param name="hung">Whether alpha's supervisor also hangs (SIGSTOP) as it is cut off: then it cannot down itself
    /// and stop its brains, and only their leases stop them.</param>
    [TestCase(false)]
    [TestCase(true)]
    [CancelAfter(300_000)]
    public async Task A_host_cut_off_from_the_others_stops_its_brains_before_they_run_elsewhere_and_none_runs_twice_when_the_partition_heals(bool hung)
    {
        // Each host in a network namespace of its own: the cut is real (packets vanish), and only the cluster link is
        // cut, so alpha's supervisor and brains keep the bus: the hard case, brains that could go on publishing.
        using var network = HostNetwork.Create();
        await using var nats = await NatsServer.StartAsync(address: network.BusGateway);
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var cluster = await HostCluster.StartAsync(network, nats.Url, await database.SocketConnectionStringAsync(), EvenHosts, SixCitizens);
        await using var client = new NatsConnection(new NatsOpts { Url = nats.Url });
        var watchers = await Task.WhenAll(Enumerable.Range(0, 6).Select(id => NpcStateWatcher.StartAsync(client, id)));
        using var census = new TwinCensus(cluster);
        try
        {
            await TwoOnEachHostLearningAsync(cluster, watchers, steps: 1);

            // alpha (the oldest: placement, world and governor run there) is cut off from beta and gamma.
            var cut = cluster.Placement().Where(p => p.Value == "alpha").Select(p => p.Key).ToArray();
            foreach (var id in cut)
            {
                // A hung supervisor takes no last checkpoint: what an NPC keeps then is its last periodic one (30 s).
                Assert.That(await watchers[id].WaitForAsync(s => s.CheckpointSequence > 0, TimeSpan.FromSeconds(60)), Is.Not.Null, $"NPC {id} has a checkpoint\n{cluster}");
            }

            var ticksAtCut = cut.ToDictionary(id => id, id => watchers[id].Latest!.Tick);
            var stepsAtCut = cut.ToDictionary(id => id, id => watchers[id].Latest!.Steps);
            var cutAt = DateTimeOffset.UtcNow;
            network.Cut("alpha");
            if (hung)
            {
                cluster["alpha"].Pause();
            }

            Assert.That(await Eventually.TrueAsync(() => Task.FromResult(cluster.Placement().Count(p => p.Value != "alpha") == 6), TimeSpan.FromSeconds(90)), Is.True, $"alpha's NPCs {string.Join(",", cut)} run on beta and gamma only (twins seen: {string.Join("; ", census.Twins.Take(5))})\n{cluster}");
            foreach (var id in cut)
            {
                Assert.That(watchers[id].States.Any(s => s.At > cutAt && s.State.Tick > ticksAtCut[id]), Is.True, $"NPC {id}'s brain on alpha went on ticking on the bus after the cut (the case fencing is for)");
                // Cut off but alive, alpha hands the stopping brains' last checkpoints over; hung, it cannot, and the
                // NPC goes on from its last periodic checkpoint (a new brain, low tick, that has learnt before).
                // (A fresh brain takes at most one step a tick: more steps than ticks were learnt before it.)
                Assert.That(await watchers[id].WaitForAsync(s => s.Tick < ticksAtCut[id] && s.Steps >= (hung ? s.Tick + 20 : stepsAtCut[id]), TimeSpan.FromSeconds(60)), Is.Not.Null, $"NPC {id} ticks again in a new brain with what it had learnt ({stepsAtCut[id]} steps at the cut)\n{cluster}");
            }

            Assert.That(await Eventually.TrueAsync(() => Task.FromResult(cluster["beta"].Log.Any(l => l.Contains("NPC placement up", StringComparison.Ordinal))), TimeSpan.FromSeconds(30)), Is.True, $"the placement moved to the majority\n{cluster}");

            // The partition heals. alpha has been downed: a cut-off alpha downed itself, a hung one learns it when it
            // wakes; either way it exits 70 and is started again, as systemd's Restart=on-failure would, and takes its
            // share back.
            network.Heal("alpha");
            if (hung)
            {
                cluster["alpha"].Resume();
            }

            Assert.That(await Eventually.TrueAsync(() => Task.FromResult(cluster["alpha"].HasExited), TimeSpan.FromSeconds(60)), Is.True, $"alpha left the cluster\n{cluster}");
            Assert.That(cluster["alpha"].ExitCode, Is.EqualTo(70), "for systemd to restart it");
            TestContext.Out.WriteLine($"cut at {cutAt:HH:mm:ss.fff}; alpha's NPCs {string.Join(",", cut)} first ticked elsewhere at {string.Join(", ", cut.Select(id => $"{watchers[id].States.First(s => s.At > cutAt && s.State.Tick < ticksAtCut[id]).At:HH:mm:ss.fff}"))}");
            await Task.Delay(TimeSpan.FromSeconds(2)); // the shipped unit's RestartSec
            await cluster.StartAsync("alpha");
            Assert.That(await Eventually.TrueAsync(() => Task.FromResult(cluster.Placement().Count == 6 && Shares(cluster).GetValueOrDefault("alpha") == 2), TimeSpan.FromSeconds(120)), Is.True, $"alpha runs two NPCs again\n{cluster}");
        }
        finally
        {
            cluster.WriteLogs(Path.Combine(TestContext.CurrentContext.WorkDirectory, "cluster-logs", $"partition-hung-{hung}"));
            foreach (var watcher in watchers)
            {
                await watcher.DisposeAsync();
            }
        }

        Assert.That(census.Samples, Is.GreaterThan(100), "the census watched throughout");
        Assert.That(census.Twins, Is.Empty, "no NPC ever ran twice, cut off or healed");
    }

    private static readonly (string Host, int Capacity)[] EvenHosts = [("alpha", 4), ("beta", 4), ("gamma", 4)];

    /// <summary>Six NPCs without systemd, and failure handling shortened to seconds (stable-after and lease 4 s).</summary>
    private static readonly (string Name, string Value)[] SixCitizens =
    [
        ("NIMMERVERSE_WORLD__CITIZENS", "6"), ("NIMMERVERSE_NPC__BACKEND", "none"),
        ("NIMMERVERSE_AKKA__STABLEAFTER", "00:00:04"), ("NIMMERVERSE_NPC__LEASETIMEOUT", "00:00:04"),
    ];

    /// <summary>Waits until each of the three hosts runs two NPCs and every NPC has learnt from <paramref name="steps"/> steps.</summary>
    private static async Task TwoOnEachHostLearningAsync(HostCluster cluster, NpcStateWatcher[] watchers, long steps)
    {
        Assert.That(await Eventually.TrueAsync(() => Task.FromResult(cluster.Placement().Count == 6 && Shares(cluster).Values.All(n => n == 2)), TimeSpan.FromSeconds(120)), Is.True, $"two NPCs on each host\n{cluster}");
        foreach (var watcher in watchers)
        {
            Assert.That(await watcher.WaitForAsync(s => s.Steps >= steps, TimeSpan.FromSeconds(90)), Is.Not.Null, cluster.ToString());
        }
    }

    private static Dictionary<string, int> Shares(HostCluster cluster) =>
        cluster.Placement().GroupBy(p => p.Value).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>Every 100 ms, every brain on the bus: an NPC id with two live processes is a twin.</summary>
    private sealed class TwinCensus : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentQueue<string> _twins = new();
        private readonly Task _watching;
        private int _samples;

        public TwinCensus(HostCluster cluster) => _watching = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                foreach (var (id, pids) in cluster.Brains().Where(b => b.Value.Count > 1))
                {
                    _twins.Enqueue($"NPC {id}: PIDs {string.Join(",", pids.Select(pid => $"{pid} ({cluster.HostOf(pid)})"))} at {DateTimeOffset.UtcNow:HH:mm:ss.fff}");
                }

                Interlocked.Increment(ref _samples);
                await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
            }
        });

        public int Samples => Volatile.Read(ref _samples);

        public IReadOnlyList<string> Twins => [.. _twins];

        public void Dispose()
        {
            _stop.Cancel();
            _watching.Wait();
            _stop.Dispose();
        }
    }
}
