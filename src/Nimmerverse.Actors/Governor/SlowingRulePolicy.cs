using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Governor;

/// <summary>
/// A hand-written baseline that slows the NPCs its rule picks and serves the rest: a slowed NPC gets the slowest rate,
/// the least CPU and its LLM gate closed; every other NPC the configured rate, its fair share of the host's CPU and its
/// gate open, so the cortex serves them first come, first served. The CPU a slowed NPC gives up is not handed on: the
/// others already run at the configured rate.
/// </summary>
public abstract class SlowingRulePolicy(double tickRateHz) : IGovernorPolicy
{
    public abstract string Name { get; }

    public PolicyDecision Decide(IReadOnlyList<int> npcIds, float[][] features, IReadOnlyList<double> fairSharePercent) =>
        new([.. npcIds.Select((id, i) => Slows(features[i])
            ? new NpcAllocation(id, TickRates.MinHz, CpuQuotas.MinPercent, false, LlmPriorities.Middle)
            : new NpcAllocation(id, tickRateHz, CpuQuotas.Clamp(fairSharePercent[i]), true, LlmPriorities.Middle))]);

    /// <summary>Whether the NPC whose features are <paramref name="features"/> is slowed.</summary>
    protected abstract bool Slows(float[] features);
}
