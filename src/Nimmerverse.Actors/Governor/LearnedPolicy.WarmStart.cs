using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Governor;

/// <summary>The learned governor's offline start: learning from recorded decision trails before its first online epoch.</summary>
public sealed partial class LearnedPolicy
{
    /// <summary>
    /// The offline start: learns from recorded decisions (each trajectory one NPC's consecutive epochs,
    /// under whatever policy decided them) before any online epoch. The price is the recorded village's
    /// own ratio; each pass credits every decision with a full horizon behind it, as online, and moves
    /// the critic toward the returns and the actor toward the recorded allocations in proportion to
    /// e^(advantage / temperature) (advantage-weighted regression, Peng et al., 2019: off-policy data, so the actor
    /// imitates what went better than expected rather than following a gradient of its own draws).
    /// Returns the decisions credited per pass.
    /// </summary>
    public int WarmStart(IReadOnlyList<IReadOnlyList<TrailStep>> trajectories, int passes)
    {
        if (_price.StartFrom(trajectories) is not { } all)
        {
            return 0;
        }

        var price = Price;
        _rewardScale = Math.Max(all.Average(s => Math.Abs(s.Outcome.Progress - (price * s.Outcome.Cost))), 1e-9);
        var credited = new List<DelayedCredit.Credited>();
        for (var pass = 0; pass < passes; pass++)
        {
            credited.Clear();
            var credit = new DelayedCredit(_creditShape.Horizon, _creditShape.Discount, _creditShape.Lambda);
            for (var t = 0; t < trajectories.Count; t++)
            {
                foreach (var (inputs, allocation, outcome) in trajectories[t])
                {
                    credit.Add(t, new DelayedCredit.Step(inputs, ActionOf(allocation), (float)((outcome.Progress - (price * outcome.Cost)) / _rewardScale)));
                }

                credit.Collect(credited, ValuesNow);
                credit.Forget(t); // its last decisions have no horizon behind them
            }

            foreach (var batch in credited.OrderBy(_ => _random.Next()).Chunk(LearningSample).Where(b => b.Length >= 2))
            {
                Step(batch, offline: true);
            }
        }

        return credited.Count;
    }

    /// <summary>A recorded allocation as the actor's draws (offline): logits of tick rate, quota and priority, the gate as 0 or 1.</summary>
    private static float[] ActionOf(NpcAllocation a) =>
    [
        ActorRanges.LogitOfShare((a.TickRateHz - TickRates.MinHz) / (TickRates.MaxHz - TickRates.MinHz)),
        ActorRanges.LogitOfShare((a.CpuQuotaPercent - CpuQuotas.MinPercent) / (CpuQuotas.MaxPercent - CpuQuotas.MinPercent)),
        a.GateOpen ? 1 : 0,
        ActorRanges.LogitOfShare(a.LlmPriority / 10.0),
    ];
}
