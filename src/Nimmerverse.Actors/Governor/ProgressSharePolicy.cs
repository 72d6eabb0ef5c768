using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Governor;

/// <summary>
/// The hand-written baseline: compute in proportion to recent learning progress, the cortex first
/// come, first served. Each NPC's recent progress per CPU-second (its own yields, smoothed over
/// about <see cref="RecentEpochs"/> epochs) against the village's mean scales the configured rate
/// and its fair share of the host's CPU: an NPC learning twice as fast per CPU-second as the others
/// gets twice the ticks; one that learns nothing gets the least. An NPC without a history yet gets
/// the mean. Every LLM gate is open at the same priority, so the cortex serves whoever asks first.
/// Progress per CPU-second rather than per epoch: per epoch, an NPC given fewer ticks shows less
/// progress and would be given fewer still.
/// </summary>
public sealed class ProgressSharePolicy(double meanTickRateHz) : IGovernorPolicy
{
    public const int RecentEpochs = 20;

    private const double Smoothing = 1.0 / RecentEpochs;

    private readonly Dictionary<int, (double Progress, double Cost)> _recent = [];

    public string Name => GovernorSettings.ProgressShare;

    public PolicyDecision Decide(IReadOnlyList<int> npcIds, float[][] features, IReadOnlyList<double> fairSharePercent)
    {
        var efficiency = npcIds.Select(id => _recent.TryGetValue(id, out var r) && r.Cost > 0 ? Math.Max(r.Progress / r.Cost, 0) : (double?)null).ToArray();
        var known = efficiency.Where(e => e is not null).Select(e => e!.Value).ToList();
        var mean = known.Count > 0 ? known.Average() : 0;
        var decided = new NpcAllocation[npcIds.Count];
        for (var i = 0; i < npcIds.Count; i++)
        {
            var share = mean > 0 && efficiency[i] is { } own ? own / mean : 1;
            decided[i] = new NpcAllocation(
                npcIds[i],
                TickRates.Clamp(meanTickRateHz * share),
                CpuQuotas.Clamp(fairSharePercent[i] * share),
                true,
                5);
        }

        return new PolicyDecision(decided);
    }

    public void Learn(PolicyDecision decision, EpochYield outcome)
    {
        foreach (var (id, own) in outcome.Npcs)
        {
            if (!double.IsFinite(own.Progress) || !double.IsFinite(own.Cost))
            {
                continue;
            }

            _recent[id] = _recent.TryGetValue(id, out var r)
                ? (r.Progress + (Smoothing * (own.Progress - r.Progress)), r.Cost + (Smoothing * (own.Cost - r.Cost)))
                : (own.Progress, own.Cost);
        }
    }

    public void Forget(int npcId) => _recent.Remove(npcId);
}
