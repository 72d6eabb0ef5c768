using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Governor;

/// <summary>
/// Turns what a policy wants into what is actuated: clamped to the protocol's ranges, moved at most
/// a step per epoch from the last allocation (no flapping: a gate also holds for some epochs), and
/// fitted to each host's CPU budget (quotas scaled down together, none below the minimum).
/// </summary>
public sealed class AllocationPlanner(GovernorSettings settings)
{
    private readonly Dictionary<int, int> _gateHeld = [];

    /// <summary>One NPC: clamp, then limit the change from <paramref name="previous"/>.</summary>
    public NpcAllocation Limit(NpcAllocation wanted, NpcAllocation? previous)
    {
        var tick = TickRates.Clamp(wanted.TickRateHz);
        var quota = CpuQuotas.Clamp(wanted.CpuQuotaPercent);
        var priority = Math.Clamp(wanted.LlmPriority, LlmPriorities.Min, LlmPriorities.Max);
        var gate = wanted.GateOpen;
        if (previous is { } p)
        {
            tick = Math.Clamp(tick, p.TickRateHz - settings.MaxTickRateStep, p.TickRateHz + settings.MaxTickRateStep);
            quota = Math.Clamp(quota, p.CpuQuotaPercent - settings.MaxQuotaStep, p.CpuQuotaPercent + settings.MaxQuotaStep);
            priority = Math.Clamp(priority, p.LlmPriority - 2, p.LlmPriority + 2);
            var held = _gateHeld.GetValueOrDefault(wanted.NpcId);
            if (gate != p.GateOpen && held < settings.GateHoldEpochs)
            {
                gate = p.GateOpen;
            }

            _gateHeld[wanted.NpcId] = gate == p.GateOpen ? held + 1 : 0;
        }

        return new NpcAllocation(wanted.NpcId, Math.Round(tick, 2), Math.Round(quota, 1), gate, priority);
    }

    /// <summary>
    /// Fits one host's allocations to its CPU budget: when the quotas add up to more, all are scaled
    /// by the same factor, none below the minimum (the NPCs at the minimum are taken out and the
    /// rest scaled again). Returns the allocations and whether even the minimums overrun the budget.
    /// </summary>
    public static (IReadOnlyList<NpcAllocation> Allocations, bool Overcommitted) FitToBudget(IReadOnlyList<NpcAllocation> host, double budgetPercent)
    {
        var quotas = host.Select(a => a.CpuQuotaPercent).ToArray();
        var pinned = new bool[quotas.Length];
        for (var round = 0; round < quotas.Length && quotas.Sum() > budgetPercent + 1e-9; round++)
        {
            var free = quotas.Where((_, i) => !pinned[i]).Sum();
            var available = budgetPercent - quotas.Where((_, i) => pinned[i]).Sum();
            if (free <= 0 || available <= 0)
            {
                break;
            }

            var factor = available / free;
            for (var i = 0; i < quotas.Length; i++)
            {
                if (!pinned[i])
                {
                    quotas[i] *= factor;
                    if (quotas[i] <= CpuQuotas.MinPercent)
                    {
                        (quotas[i], pinned[i]) = (CpuQuotas.MinPercent, true);
                    }
                }
            }
        }

        // Rounded down to a tenth, so rounding never takes a host over its budget.
        var fitted = host.Select((a, i) => a with { CpuQuotaPercent = Math.Max(CpuQuotas.MinPercent, Math.Floor(quotas[i] * 10) / 10) }).ToList();
        return (fitted, fitted.Sum(a => a.CpuQuotaPercent) > budgetPercent + 1e-9);
    }
}
