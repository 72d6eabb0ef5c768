using System.Diagnostics;
using System.Globalization;
using NATS.Client.Core;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Brains;
using Nimmerverse.Testing.Cluster;
using Nimmerverse.Testing.Nats;
using Nimmerverse.Testing.Postgres;

namespace Nimmerverse.Bench;

/// <summary>
/// Host-loss failover on three published supervisors with real brains: a host is killed (its supervisor by
/// SIGKILL, its brains with it), and the time is taken until every one of its NPCs ticks again on another host, a
/// new brain's first state. Printed next to the floor of the same run: the failure detection (3 s) plus the
/// split-brain resolver's stable-after, before which no member may take a lost host's NPCs. The lost host comes
/// back between runs and takes its share again. Run after <c>./nimmerverse test</c> or <c>up</c> has published the
/// supervisor, as root (a private PostgreSQL).
/// </summary>
internal static class FailoverBenchmark
{
    private static readonly TimeSpan FailureDetection = TimeSpan.FromSeconds(3);
    private static readonly (string Host, int Capacity)[] Hosts = [("alpha", 6), ("beta", 6), ("gamma", 6)];
    private const int Citizens = 9;

    public static async Task RunAsync(int runs, TimeSpan stableAfter)
    {
        await using var nats = await NatsServer.StartAsync();
        await using var postgres = await PrivatePostgres.StartAsync();
        var span = stableAfter.ToString("c", CultureInfo.InvariantCulture);
        await using var cluster = await HostCluster.StartAsync(nats.Url, postgres.ConnectionString, Hosts,
            ("NIMMERVERSE_WORLD__CITIZENS", $"{Citizens}"), ("NIMMERVERSE_NPC__BACKEND", "none"),
            ("NIMMERVERSE_AKKA__STABLEAFTER", span), ("NIMMERVERSE_NPC__LEASETIMEOUT", span));
        await using var client = new NatsConnection(new NatsOpts { Url = nats.Url });
        var watchers = await Task.WhenAll(Enumerable.Range(0, Citizens).Select(id => NpcStateWatcher.StartAsync(client, id)));
        var floor = FailureDetection + stableAfter;
        Console.WriteLine($"failover: 3 hosts, {Citizens} NPCs, stable-after {stableAfter.TotalSeconds:0.#} s, lease {stableAfter.TotalSeconds:0.#} s; floor (detection + stable-after) {floor.TotalSeconds:0.#} s");
        var times = new List<double>();
        for (var run = 1; run <= runs; run++)
        {
            await SettledAsync(cluster);
            var victim = Hosts[(run - 1) % Hosts.Length].Host;
            var lost = cluster.Placement().Where(p => p.Value == victim).Select(p => p.Key).ToArray();
            var ticks = lost.ToDictionary(id => id, id => watchers[id].Latest?.Tick ?? 0);
            var clock = Stopwatch.StartNew();
            await cluster[victim].KillHardAsync();
            var back = new Dictionary<int, double>();
            while (back.Count < lost.Length && clock.Elapsed < TimeSpan.FromMinutes(3))
            {
                foreach (var id in lost.Where(id => !back.ContainsKey(id) && watchers[id].Latest is { } s && s.Tick < ticks[id]))
                {
                    back[id] = clock.Elapsed.TotalSeconds; // a new brain: its ticks start again
                }

                await Task.Delay(50);
            }

            var worst = back.Count == lost.Length ? back.Values.Max() : double.NaN;
            times.Add(worst);
            var twins = cluster.Brains().Where(b => b.Value.Count > 1).Select(b => b.Key).ToArray();
            if (twins.Length > 0)
            {
                cluster.WriteLogs(Path.Combine(Path.GetTempPath(), "nimmerverse-failover-logs"));
                Console.WriteLine($"TWINS: NPCs {string.Join(",", twins)} run twice");
            }

            Console.WriteLine($"run {run}: lost {victim} with NPCs {string.Join(",", lost)}; all ticking again elsewhere after {worst:0.0} s ({worst - floor.TotalSeconds:+0.0;-0.0;0.0} s over the floor)");
            await cluster.StartAsync(victim);
        }

        cluster.WriteLogs(Path.Combine(Path.GetTempPath(), "nimmerverse-failover-logs"));
        var sorted = times.Order().ToArray();
        Console.WriteLine(
            $"failover over {runs} runs: median {sorted[sorted.Length / 2]:0.0} s, max {sorted[^1]:0.0} s; over stable-after ({stableAfter.TotalSeconds:0.#} s) by {sorted[sorted.Length / 2] - stableAfter.TotalSeconds:0.0} s and {sorted[^1] - stableAfter.TotalSeconds:0.0} s, " +
            $"over detection + stable-after ({floor.TotalSeconds:0.#} s) by {sorted[sorted.Length / 2] - floor.TotalSeconds:0.0} s and {sorted[^1] - floor.TotalSeconds:0.0} s (target: within 10 s)");
        foreach (var watcher in watchers)
        {
            await watcher.DisposeAsync();
        }
    }

    /// <summary>Every NPC runs, three on each host.</summary>
    private static async Task SettledAsync(HostCluster cluster)
    {
        var settled = await Eventually.TrueAsync(
            () => Task.FromResult(cluster.Placement().Count == Citizens && cluster.Placement().GroupBy(p => p.Value).All(g => g.Count() == Citizens / Hosts.Length)),
            TimeSpan.FromMinutes(3), TimeSpan.FromMilliseconds(500));
        if (!settled)
        {
            throw new TimeoutException($"the village did not settle three to a host:\n{cluster}");
        }
    }
}
