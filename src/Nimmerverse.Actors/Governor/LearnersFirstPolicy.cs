using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Governor;

/// <summary>
/// The hand-written baseline that reads the stage (<see cref="NpcClass"/>): a brain still exploring, or past it but
/// reaching its goals less than half the time, gets the configured rate, its fair share of the host's CPU and its LLM
/// gate open; a skilled brain gets the slowest rate and the least CPU, whatever its quiz says. Why: in the benchmark's
/// matured villages a skilled brain's progress followed its CPU, not its rate (about 0.05 of a level per CPU-second at
/// 1 Hz and at 20 Hz alike), while an exploring newcomer made three times that and more, so the village's ratio is
/// mostly the share of its CPU that goes to the brains still learning (docs/learning.md).
/// </summary>
public sealed class LearnersFirstPolicy(double tickRateHz) : IGovernorPolicy
{
    public string Name => GovernorSettings.LearnersFirst;

    public PolicyDecision Decide(IReadOnlyList<int> npcIds, float[][] features, IReadOnlyList<double> fairSharePercent) =>
        new([.. npcIds.Select((id, i) => NpcClass.Of(features[i]).Skilled
            ? new NpcAllocation(id, TickRates.MinHz, CpuQuotas.MinPercent, false, 5)
            : new NpcAllocation(id, tickRateHz, CpuQuotas.Clamp(fairSharePercent[i]), true, 5))]);
}
