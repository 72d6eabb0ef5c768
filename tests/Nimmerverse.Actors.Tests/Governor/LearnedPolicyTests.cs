using Nimmerverse.Actors.Governor;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Governor;

/// <summary>The learned policy with its real network (TorchSharp): it decides within the ranges, it learns from reward, and its weights round-trip.</summary>
[Category(TestTier.Unit)]
public sealed class LearnedPolicyTests
{
    /// <summary>Fair shares for the policy's signature; the learned policy decides its quotas from its features alone.</summary>
    private static double[] Shares(int npcs) => [.. Enumerable.Repeat(100.0 / npcs, npcs)];

    private static float[][] SameFeatures(int npcs) => [.. Enumerable.Range(0, npcs).Select(i => Enumerable.Range(0, GovernorFeatures.Count).Select(f => (float)((i + f) % 5) / 5).ToArray())];

    [Test]
    public void Rewarding_fast_ticks_makes_it_choose_faster_ticks()
    {
        using var policy = new LearnedPolicy(exploration: 0.1, learningRate: 0.003, seed: 7);
        var features = SameFeatures(8);
        int[] ids = [0, 1, 2, 3, 4, 5, 6, 7];
        var means = new List<double>();
        for (var epoch = 0; epoch < 400; epoch++)
        {
            using var decision = policy.Decide(ids, features, Shares(ids.Length));
            var meanTick = decision.Allocations.Average(d => d.TickRateHz);
            means.Add(meanTick);
            policy.Learn(decision, meanTick / 20); // a village that thrives on fast ticks
        }

        var (early, late) = (means.Take(20).Average(), means.Skip(350).Average());
        TestContext.Out.WriteLine($"mean tick rate: first 20 epochs {early:F2} Hz, last 50 {late:F2} Hz, {policy.Updates} updates");
        Assert.That(late, Is.GreaterThan(early + 3), "it learnt what the reward asked for");
        Assert.That(late, Is.GreaterThan(16));
        Assert.That(means, Is.All.InRange(1.0, 20.0));
    }

    [Test]
    public void Each_npcs_own_reward_teaches_it_what_suits_that_npc()
    {
        // Two kinds of NPC told apart by their first feature: one thrives on fast ticks, the other on slow ones.
        using var policy = new LearnedPolicy(exploration: 0.1, learningRate: 0.003, seed: 11);
        int[] ids = [.. Enumerable.Range(0, 16)];
        float[][] features = [.. ids.Select(id => Enumerable.Range(0, GovernorFeatures.Count).Select(f => f == 0 ? (id % 2 == 0 ? 1f : 0f) : 0.5f).ToArray())];
        var last = new List<(double Fast, double Slow)>();
        for (var epoch = 0; epoch < 500; epoch++)
        {
            using var decision = policy.Decide(ids, features, Shares(ids.Length));
            var decided = decision.Allocations;
            var own = decided.ToDictionary(d => d.NpcId, d => d.NpcId % 2 == 0 ? d.TickRateHz / 20 : 1 - (d.TickRateHz / 20));
            policy.Learn(decision, own.Values.Average(), own);
            if (epoch >= 450)
            {
                last.Add((decided.Where(d => d.NpcId % 2 == 0).Average(d => d.TickRateHz), decided.Where(d => d.NpcId % 2 == 1).Average(d => d.TickRateHz)));
            }
        }

        var (fast, slow) = (last.Average(l => l.Fast), last.Average(l => l.Slow));
        TestContext.Out.WriteLine($"last 50 epochs: the fast kind at {fast:F1} Hz, the slow kind at {slow:F1} Hz");
        Assert.That(fast - slow, Is.GreaterThan(8), "one shared network, two different answers");
    }

    [Test]
    public void Its_decisions_are_within_the_ranges_and_its_weights_come_back()
    {
        using var policy = new LearnedPolicy(0.1, 0.001, seed: 3);
        var decided = policy.Decide([4, 9], SameFeatures(2), Shares(2)).Allocations;

        Assert.That(decided.Select(d => d.NpcId), Is.EqualTo(new[] { 4, 9 }));
        Assert.That(decided.Select(d => d.Problem()), Is.All.Null);
        var weights = policy.SaveWeights()!;
        using var other = new LearnedPolicy(0.0, 0.001, seed: 99);
        other.LoadWeights(weights);
        using var same = new LearnedPolicy(0.0, 0.001, seed: 3);
        Assert.That(other.Decide([1], SameFeatures(1), Shares(1)).Allocations[0].CpuQuotaPercent, Is.EqualTo(same.Decide([1], SameFeatures(1), Shares(1)).Allocations[0].CpuQuotaPercent).Within(1e-6),
            "loaded weights decide like the ones saved (no exploration)");
    }
}
