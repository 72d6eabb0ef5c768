using System.Diagnostics;
using System.Globalization;
using Nimmerverse.Actors.Governor;
using Nimmerverse.Brains.Contracts;

namespace Nimmerverse.Bench;

/// <summary>
/// One governor epoch without its messages: features from the NPCs' states, the policy's forward
/// pass (and, for the learned policy, its learning step), rate limiting and fitting to the hosts'
/// budgets, for 25, 250 and 2,500 NPCs on 1, 10 and 100 hosts. The equal-share policy, which does
/// no arithmetic worth the name, is the baseline of the same run.
/// </summary>
internal static class GovernorBenchmark
{
    public static void Run(int epochs)
    {
        Console.WriteLine($"Governor epoch (features, policy, planning), {epochs} epochs after 20 of warm-up; ms per epoch");
        Console.WriteLine("  NPCs | learned p50 / p99 | equal-share p50 / p99 | learned / equal-share (p50)");
        foreach (var npcs in new[] { 25, 250, 2500 })
        {
            var learned = Measure(npcs, epochs, new LearnedPolicy(0.1, 0.001, 1));
            var equal = Measure(npcs, epochs, new EqualSharePolicy(5));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{npcs,6} | {P(learned, 0.5),7:F3} / {P(learned, 0.99),-7:F3} | {P(equal, 0.5),11:F3} / {P(equal, 0.99),-9:F3} | {P(learned, 0.5) / P(equal, 0.5),6:F1}x"));
        }
    }

    private static double[] Measure(int npcs, int epochs, IGovernorPolicy policy)
    {
        using (policy)
        {
            var settings = new GovernorSettings(TimeSpan.FromSeconds(1), policy.Name, 200, npcs, 5, 256L << 20, 64, TimeSpan.FromSeconds(5));
            var planner = new AllocationPlanner(settings);
            var hosts = Math.Max(1, npcs / 25);
            var observations = new NpcObservations(npcs, "host-0");
            var random = new Random(5);
            var allocations = new Dictionary<int, NpcAllocation>();
            var times = new List<double>();
            var now = DateTimeOffset.UnixEpoch;
            for (var epoch = 0; epoch < epochs + 20; epoch++)
            {
                now = now.AddSeconds(1);
                for (var id = 0; id < npcs; id++)
                {
                    observations.Accept(new NpcStateBody(id, epoch * 5, 5, 4.9, random.NextDouble() * 10, id % 25, epoch, random.NextDouble(), random.NextDouble() - 0.5, 0.1, 50 - epoch * 0.01, epoch * 50.0), now);
                    observations.Place(id, $"host-{id % hosts}");
                }

                var clock = Stopwatch.StartNew();
                var present = observations.Present(now, settings.SilenceTimeout);
                var view = GovernorFeatures.Build(present, allocations, settings.HostCpuBudgetPercent, now);
                policy.Learn(view.Reward, view.NpcRewards);
                var ids = present.Select(p => p.NpcId).ToList();
                var wanted = policy.Decide(ids, view.Features, settings.HostCpuBudgetPercent);
                var limited = wanted.Select(w => planner.Limit(w, allocations.TryGetValue(w.NpcId, out var p) ? p : null)).ToList();
                foreach (var host in present.Select((p, i) => (p.Observation.Host, Allocation: limited[i])).GroupBy(h => h.Host))
                {
                    foreach (var allocation in AllocationPlanner.FitToBudget([.. host.Select(h => h.Allocation)], settings.HostCpuBudgetPercent).Allocations)
                    {
                        allocations[allocation.NpcId] = allocation;
                    }
                }

                if (epoch >= 20)
                {
                    times.Add(clock.Elapsed.TotalMilliseconds);
                }
            }

            return [.. times.Order()];
        }
    }

    private static double P(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
