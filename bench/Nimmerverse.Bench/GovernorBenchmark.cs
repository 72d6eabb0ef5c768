using System.Globalization;
using Nimmerverse.Actors.Governor;
using Nimmerverse.Brains.Contracts;

namespace Nimmerverse.Bench;

/// <summary>
/// One governor epoch without its messages, exactly what the actor runs
/// (<see cref="GovernorDecisions.RunEpoch"/>: features from the NPCs' states, the policy's
/// learning step and forward pass, rate limiting and fitting to the hosts' budgets), for 25, 250
/// and 2,500 NPCs, 25 per host. The equal-share policy, which does no arithmetic worth the name,
/// is the baseline of the same run.
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
                $"{npcs,6} | {BenchSupport.Percentile(learned, 0.5),7:F3} / {BenchSupport.Percentile(learned, 0.99),-7:F3} | {BenchSupport.Percentile(equal, 0.5),11:F3} / {BenchSupport.Percentile(equal, 0.99),-9:F3} | {BenchSupport.Percentile(learned, 0.5) / BenchSupport.Percentile(equal, 0.5),6:F1}x"));
        }
    }

    private static double[] Measure(int npcs, int epochs, IGovernorPolicy policy)
    {
        using (policy)
        {
            var settings = new GovernorSettings(TimeSpan.FromSeconds(1), policy.Name, 200, npcs, 5, 256L << 20, 64, TimeSpan.FromSeconds(5));
            var governor = new GovernorDecisions(settings, policy, "host-0");
            var hosts = Math.Max(1, npcs / 25);
            var random = new Random(5);
            var times = new List<double>();
            var now = DateTimeOffset.UnixEpoch;
            for (var epoch = 0; epoch < epochs + 20; epoch++)
            {
                now = now.AddSeconds(1);
                for (var id = 0; id < npcs; id++)
                {
                    governor.Observations.Accept(new NpcStateBody(id, epoch * 5, 5, 4.9, random.NextDouble() * 10, id % 25, epoch, random.NextDouble(), random.NextDouble() - 0.5, 0.1, 50 - (epoch * 0.01), epoch * 50.0), now);
                    governor.Observations.Place(id, $"host-{id % hosts}");
                }

                var outcome = governor.RunEpoch(now);
                if (epoch >= 20)
                {
                    times.Add(outcome.LatencyMs);
                }
            }

            return [.. times.Order()];
        }
    }
}
