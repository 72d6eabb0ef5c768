using Nimmerverse.Actors.Governor;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Governor;

/// <summary>The hand-written baseline that reads the stage: the skilled brains slowed, those still learning at the configured rate.</summary>
[Category(TestTier.Unit)]
public sealed class LearnersFirstPolicyTests
{
    /// <summary>A feature row of a brain whose random share is <paramref name="epsilon"/>, whose success rate is <paramref name="success"/> and whose latest round is <paramref name="round"/>.</summary>
    private static float[] Brain(float epsilon, float success, float round = 0)
    {
        var features = new float[GovernorFeatures.Count];
        (features[GovernorFeatures.EpsilonAt], features[GovernorFeatures.SuccessAt], features[GovernorFeatures.QuizAt]) = (epsilon, success, round);
        return features;
    }

    [Test]
    public void A_skilled_brain_gets_the_slowest_rate_and_the_least_cpu_and_those_still_learning_the_configured_rate_and_their_share()
    {
        using var policy = new LearnersFirstPolicy(tickRateHz: 20);
        var decided = policy.Decide([1, 2, 3, 4, 5],
            [Brain(epsilon: 0.9f, success: 0.8f), Brain(0.05f, 0.3f), Brain(0.05f, 0.7f, round: -1), Brain(0.05f, 0.7f, round: 1), Brain(0.05f, 0.5f)],
            [40, 40, 40, 40, 40]).Allocations;

        Assert.Multiple(() =>
        {
            Assert.That(decided.Select(a => a.NpcId), Is.EqualTo(new[] { 1, 2, 3, 4, 5 }));
            Assert.That(decided.Select(a => a.TickRateHz), Is.EqualTo(new[] { 20, 20, TickRates.MinHz, TickRates.MinHz, TickRates.MinHz }),
                "exploring (its success is its random walk's luck), learning, skilled though it failed its round, skilled, skilled at exactly half");
            Assert.That(decided.Select(a => a.CpuQuotaPercent), Is.EqualTo(new[] { 40, 40, CpuQuotas.MinPercent, CpuQuotas.MinPercent, CpuQuotas.MinPercent }));
            Assert.That(decided.Select(a => a.GateOpen), Is.EqualTo(new[] { true, true, false, false, false }), "the cortex is for those still learning");
        });
    }

    [Test]
    public void The_configuration_names_it()
    {
        var settings = GovernorSettings.Default with { Policy = GovernorSettings.LearnersFirst };
        using var policy = settings.NewPolicy(new GovernedNpcs(Citizens: 2, StartTickRateHz: 10, MemoryMaxBytes: 1 << 30, TasksMax: 64));
        Assert.Multiple(() =>
        {
            Assert.That(policy, Is.TypeOf<LearnersFirstPolicy>());
            Assert.That(policy.Decide([0], [Brain(1, 0)], [30]).Allocations[0].TickRateHz, Is.EqualTo(10), "the configured rate, Npc:TickRateHz");
        });
    }
}
