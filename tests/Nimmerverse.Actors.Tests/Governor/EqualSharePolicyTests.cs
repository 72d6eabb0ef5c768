using Nimmerverse.Actors.Governor;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Governor;

/// <summary>The fixed baselines: one rate and an equal share for every NPC, the LLM gates all closed (equal-share) or all open (open-gates).</summary>
[Category(TestTier.Unit)]
public sealed class EqualSharePolicyTests
{
    private static readonly GovernedNpcs Village = new(Citizens: 3, StartTickRateHz: 20, MemoryMaxBytes: 1 << 30, TasksMax: 64);

    [TestCase(GovernorSettings.EqualShare, false)]
    [TestCase(GovernorSettings.OpenGates, true)]
    public void Every_npc_gets_the_configured_rate_and_its_share_and_the_gate_the_policy_names(string name, bool gateOpen)
    {
        using var policy = (GovernorSettings.Default with { Policy = name }).NewPolicy(Village);
        float[][] features = [new float[GovernorFeatures.Count], new float[GovernorFeatures.Count], new float[GovernorFeatures.Count]];
        var decided = policy.Decide([4, 5, 6], features, [30, 45, 150]).Allocations;

        Assert.Multiple(() =>
        {
            Assert.That(policy.Name, Is.EqualTo(name));
            Assert.That(decided.Select(a => a.NpcId), Is.EqualTo(new[] { 4, 5, 6 }));
            Assert.That(decided.Select(a => a.TickRateHz), Is.All.EqualTo(20));
            Assert.That(decided.Select(a => a.CpuQuotaPercent), Is.EqualTo(new[] { 30, 45, 100 }), "each its share, at most a core");
            Assert.That(decided.Select(a => a.GateOpen), Is.All.EqualTo(gateOpen));
        });
    }
}
