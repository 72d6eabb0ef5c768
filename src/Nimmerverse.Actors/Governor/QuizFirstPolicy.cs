using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Governor;

/// <summary>
/// The hand-written baseline that reads the quiz: the world levels up when every citizen has passed
/// its latest round, so an NPC that has passed adds nothing to that by ticking, and every tick of one
/// that has not brings it nearer. An NPC that has passed its latest round at the world's level gets
/// the slowest rate and the least CPU, which also keeps its pass standing (its next round, which it
/// could fail, comes later); every other NPC (failed, or no round yet) gets the configured rate, its
/// fair share of the host's CPU, and its LLM gate open, so the cortex serves the laggards first come,
/// first served. The CPU a passed NPC gives up is not handed on: the others already run at the
/// configured rate.
/// </summary>
public sealed class QuizFirstPolicy(double tickRateHz) : IGovernorPolicy
{
    public string Name => GovernorSettings.QuizFirst;

    public PolicyDecision Decide(IReadOnlyList<int> npcIds, float[][] features, IReadOnlyList<double> fairSharePercent) =>
        new([.. npcIds.Select((id, i) => HasPassed(features[i])
            ? new NpcAllocation(id, TickRates.MinHz, CpuQuotas.MinPercent, false, 5)
            : new NpcAllocation(id, tickRateHz, CpuQuotas.Clamp(fairSharePercent[i]), true, 5))]);

    /// <summary>Its latest round at the world's level found every home (<see cref="GovernorFeatures.QuizAt"/>: 1 passed, −1 failed, 0 none).</summary>
    private static bool HasPassed(float[] features) => features[GovernorFeatures.QuizAt] > 0;
}
