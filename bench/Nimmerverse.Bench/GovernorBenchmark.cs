using System.Globalization;
using Nimmerverse.Actors.Governor;
using Nimmerverse.Protocol;

namespace Nimmerverse.Bench;

/// <summary>
/// One governor epoch without its messages, exactly what the actor runs, for 25, 250 and 2,500
/// NPCs, 25 per host: the decision (<see cref="GovernorDecisions.RunEpoch"/>: features from the
/// NPCs' states, the policy's forward pass, rate limiting and fitting to the hosts' budgets), which
/// the actor actuates at once, and apart from it the learning step it runs afterwards
/// (<see cref="GovernorDecisions.Learn"/>); and the bandit per class's decision and learning step. The equal-share
/// policy, which does no arithmetic worth the name, is the baseline of the same run. A decision during which the runtime collected its
/// oldest generation is counted apart: its time is mostly the collector's.
/// </summary>
internal static class GovernorBenchmark
{
    public static void Run(int epochs)
    {
        Console.WriteLine($"Governor epoch, {epochs} epochs after 20 of warm-up; ms per epoch (decision: features, forward pass, planning; learning runs after the actuation)");
        Console.WriteLine("  NPCs | learned decision p50 / p99 | learning step p50 / p99 | equal-share decision p50 / p99 | learned / equal-share (p50) | learned decisions with a gen-2 collection: count, p99 without them | class-bandit decision p50 / p99 | its learning step p50 / p99 | class-bandit / equal-share (p50)");
        foreach (var npcs in new[] { 25, 250, 2500 })
        {
            var (decide, learn, collected, uncollected) = Measure(npcs, epochs, new LearnedPolicy(0.1, 0.001, 1));
            var (equal, _, _, _) = Measure(npcs, epochs, new EqualSharePolicy(5));
            var (bandit, banditLearns, _, _) = Measure(npcs, epochs, new ClassBanditPolicy(seed: 1));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{npcs,6} | {P(decide, 0.5),15:F3} / {P(decide, 0.99),-8:F3} | {P(learn, 0.5),12:F3} / {P(learn, 0.99),-8:F3} | {P(equal, 0.5),19:F3} / {P(equal, 0.99),-9:F3} | {P(decide, 0.5) / P(equal, 0.5),6:F1}x | {collected}, {(uncollected.Length == 0 ? double.NaN : P(uncollected, 0.99)):F3} | {P(bandit, 0.5):F3} / {P(bandit, 0.99):F3} | {P(banditLearns, 0.5):F3} / {P(banditLearns, 0.99):F3} | {P(bandit, 0.5) / P(equal, 0.5):F1}x"));
        }
    }

    private static double P(double[] sorted, double p) => BenchSupport.Percentile(sorted, p);

    private static (double[] Decide, double[] Learn, int Collected, double[] Uncollected) Measure(int npcs, int epochs, IGovernorPolicy policy)
    {
        var settings = new GovernorSettings { Policy = policy.Name, HostCpuBudgetPercent = 200 };
        using var governor = new GovernorDecisions(settings, npcs, policy, "host-0");
        var hosts = Math.Max(1, npcs / 25);
        var random = new Random(5);
        var (decide, learn, uncollected, collected) = (new List<double>(), new List<double>(), new List<double>(), 0);
        var now = DateTimeOffset.UnixEpoch;
        for (var epoch = 0; epoch < epochs + 20; epoch++)
        {
            now = now.AddSeconds(1);
            for (var id = 0; id < npcs; id++)
            {
                governor.Observations.Accept(new NpcStateBody(id, epoch * 5, 5, 4.9, random.NextDouble() * 10, id % 25, epoch, random.NextDouble(), random.NextDouble() - 0.5, 0.1, 50 - (epoch * 0.01), epoch * 50.0), now);
                governor.Observations.Place(id, $"host-{id % hosts}");
            }

            var oldest = GC.CollectionCount(GC.MaxGeneration);
            var outcome = governor.RunEpoch(now);
            var wasCollected = GC.CollectionCount(GC.MaxGeneration) != oldest;
            var learning = governor.Learn();
            if (epoch >= 20)
            {
                decide.Add(outcome.LatencyMs);
                if (wasCollected)
                {
                    collected++;
                }
                else
                {
                    uncollected.Add(outcome.LatencyMs);
                }

                learn.Add(learning);
            }
        }

        return ([.. decide.Order()], [.. learn.Order()], collected, [.. uncollected.Order()]);
    }
}
