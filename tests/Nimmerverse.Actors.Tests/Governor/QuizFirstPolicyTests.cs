using Nimmerverse.Actors.Governor;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Governor;

/// <summary>The hand-written baseline that reads the quiz: the NPCs past their latest round slowed, the others at the configured rate.</summary>
[Category(TestTier.Unit)]
public sealed class QuizFirstPolicyTests
{
    /// <summary>A feature row whose latest quiz round is <paramref name="round"/> (1 passed, −1 failed, 0 none).</summary>
    private static float[] WithRound(float round)
    {
        var features = new float[GovernorFeatures.Count];
        features[GovernorFeatures.QuizAt] = round;
        return features;
    }

    [Test]
    public void An_npc_past_its_latest_round_gets_the_slowest_rate_and_the_least_cpu_and_the_others_the_configured_rate_and_their_share()
    {
        using var policy = new QuizFirstPolicy(tickRateHz: 20);
        var decided = policy.Decide([7, 8, 9], [WithRound(1), WithRound(-1), WithRound(0)], [40, 40, 40]).Allocations;

        Assert.Multiple(() =>
        {
            Assert.That(decided.Select(a => a.NpcId), Is.EqualTo(new[] { 7, 8, 9 }));
            Assert.That(decided.Select(a => a.TickRateHz), Is.EqualTo(new[] { TickRates.MinHz, 20, 20 }), "passed, failed, no round yet");
            Assert.That(decided.Select(a => a.CpuQuotaPercent), Is.EqualTo(new[] { CpuQuotas.MinPercent, 40, 40 }));
            Assert.That(decided.Select(a => a.GateOpen), Is.EqualTo(new[] { false, true, true }), "the cortex is for those still to pass");
        });
    }

    [Test]
    public void Once_the_world_has_levelled_up_nobody_has_a_round_at_the_new_level_and_everyone_runs_at_the_configured_rate()
    {
        using var policy = new QuizFirstPolicy(tickRateHz: 5);
        Assert.That(policy.Decide([0, 1], [WithRound(0), WithRound(0)], [30, 30]).Allocations.Select(a => a.TickRateHz), Is.All.EqualTo(5));
    }

    [Test]
    public void The_configuration_names_it()
    {
        var settings = GovernorSettings.Default with { Policy = GovernorSettings.QuizFirst };
        using var policy = settings.NewPolicy(new GovernedNpcs(Citizens: 2, StartTickRateHz: 10, MemoryMaxBytes: 1 << 30, TasksMax: 64));
        Assert.That(policy, Is.TypeOf<QuizFirstPolicy>());
    }
}
