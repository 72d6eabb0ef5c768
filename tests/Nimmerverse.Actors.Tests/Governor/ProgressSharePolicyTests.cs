using Nimmerverse.Actors.Governor;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Governor;

/// <summary>The hand-written baseline: ticks and CPU in proportion to recent progress per CPU-second, every gate open.</summary>
[Category(TestTier.Unit)]
public sealed class ProgressSharePolicyTests
{
    private static readonly float[][] NoFeatures = [[], [], []];

    [Test]
    public void An_npc_learning_more_per_cpu_second_gets_more_ticks_and_cpu_and_a_newcomer_the_mean()
    {
        using var policy = new ProgressSharePolicy(meanTickRateHz: 6);
        var first = policy.Decide([0, 1, 2], NoFeatures, [30, 30, 30]);
        Assert.That(first.Allocations.Select(a => a.TickRateHz), Is.All.EqualTo(6), "no history yet: the configured rate");

        // NPC 0 gains three times what NPC 1 gains per CPU-second; NPC 2 has no epoch behind it.
        policy.Learn(first, EpochYield.Sum(new Dictionary<int, NpcYield> { [0] = new(0.03, 0.1), [1] = new(0.01, 0.1) }));
        var next = policy.Decide([0, 1, 2], NoFeatures, [30, 30, 30]).Allocations;

        Assert.Multiple(() =>
        {
            Assert.That(next.Select(a => a.TickRateHz), Is.EqualTo(new[] { 9.0, 3.0, 6.0 }).Within(1e-9), "1.5x and 0.5x the mean efficiency");
            Assert.That(next.Select(a => a.CpuQuotaPercent), Is.EqualTo(new[] { 45.0, 15.0, 30.0 }).Within(1e-9));
            Assert.That(next.Select(a => (a.GateOpen, a.LlmPriority)), Is.All.EqualTo((true, 5)), "the cortex: first come, first served");
        });
    }

    [Test]
    public void An_npc_that_learns_nothing_gets_the_least_and_a_fresh_brain_starts_over()
    {
        using var policy = new ProgressSharePolicy(meanTickRateHz: 5);
        var first = policy.Decide([0, 1], NoFeatures[..2], [50, 50]);
        policy.Learn(first, EpochYield.Sum(new Dictionary<int, NpcYield> { [0] = new(0.02, 0.1), [1] = new(-0.01, 0.1) }));
        var next = policy.Decide([0, 1], NoFeatures[..2], [50, 50]).Allocations;
        Assert.That(next.Select(a => a.TickRateHz), Is.EqualTo(new[] { 10.0, 1.0 }).Within(1e-9), "no progress: the minimum rate");

        policy.Forget(1);
        Assert.That(policy.Decide([0, 1], NoFeatures[..2], [50, 50]).Allocations[1].TickRateHz, Is.EqualTo(5), "its new brain has no history: the mean");
    }
}
