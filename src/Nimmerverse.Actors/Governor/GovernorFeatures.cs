using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Governor;

/// <summary>
/// The governor's view of one epoch: a feature vector per present NPC (its own state, its load
/// against its quota, its learning progress, its gate, its kind) plus village-level context shared
/// by all, and what the epoch that just ended yielded (<see cref="GovernorObjective"/>).
/// </summary>
public static class GovernorFeatures
{
    /// <summary>
    /// Per-NPC features, the context (the village's mean reward, its host's load, the village's size, the cortex's
    /// queue), the NPC's role one-hot, then the quiz: its latest round and the share of the village past its own
    /// (13 + 4 + 3 + 2).
    /// </summary>
    public const int Count = 22;

    /// <summary>The cortex's times (its queue, its call) as features: tanh of the epoch's mean over this.</summary>
    public const double CortexWaitScaleMs = 4000;

    /// <summary>The cortex's queue depth as a feature: tanh of the depth over this.</summary>
    public const double CortexQueueScale = 16;

    /// <summary>Where the NPC's success rate is: the share of its recent episodes that reached their goal, 0 to 1.</summary>
    public const int SuccessAt = 5;

    /// <summary>Where its brain's epsilon is: the share of its moves still made at random, 1 for a newcomer, falling with its steps.</summary>
    public const int EpsilonAt = 8;

    /// <summary>Where the role's one-hot starts: small, medium, large (an unknown or unreported role is all zero).</summary>
    public const int RoleAt = 17;

    /// <summary>
    /// Where the quiz starts: the NPC's latest round at the world's level (1 passed, −1 failed, 0 none yet), then the
    /// share of present NPCs that have passed theirs. The world levels up when every citizen has passed, so a brain
    /// that has passed adds nothing to that by ticking, while each laggard's ticks bring it nearer.
    /// </summary>
    public const int QuizAt = 20;

    /// <param name="Features">One row per present NPC, in their order.</param>
    /// <param name="Yield">What the epoch that ended yielded, the village's and each NPC's.</param>
    public sealed record Epoch(float[][] Features, EpochYield Yield);

    /// <summary>
    /// Builds the features of the NPCs in <paramref name="present"/> (their last allocations in
    /// <paramref name="previous"/>, if any) and the yield of the epoch that ended now. Afterwards
    /// each observation's state is remembered as the epoch's, for the next differences. A point of
    /// lifeforce counts <paramref name="lifeforceWeight"/> of a level in the yield.
    /// </summary>
    public static Epoch Build(IReadOnlyList<(int NpcId, NpcObservations.Observation Observation)> present, IReadOnlyDictionary<int, NpcAllocation> previous, double hostBudgetPercent, DateTimeOffset now, double lifeforceWeight, int cortexQueueDepth = 0)
    {
        var features = new float[present.Count][];
        var yields = new Dictionary<int, NpcYield>();
        var meanReward = present.Count == 0 ? 0 : present.Average(p => Math.Clamp(p.Observation.Latest.RewardRate, -1, 1));
        var sharePassed = present.Count == 0 ? 0 : present.Count(p => p.Observation.Latest.QuizPassed == true) / (double)present.Count;
        // Each host's load: the quotas its present NPCs hold against its budget.
        var quotaOnHost = present
            .GroupBy(p => p.Observation.Host)
            .ToDictionary(h => h.Key, h => h.Sum(p => previous.TryGetValue(p.NpcId, out var a) ? a.CpuQuotaPercent : 0));
        for (var i = 0; i < present.Count; i++)
        {
            var (npcId, o) = present[i];
            var s = o.Latest;
            var before = o.AtLastEpoch;
            var elapsed = o.LastEpochAt is { } last ? Math.Max((now - last).TotalSeconds, 1e-3) : 0;
            var cpu = before is null ? 0 : Math.Max(s.CpuMs - before.CpuMs, 0) / 1000;
            var quota = previous.TryGetValue(npcId, out var allocation) ? allocation.CpuQuotaPercent : 25;
            var cpuShare = elapsed > 0 ? cpu / elapsed / (quota / 100) : 0;
            var progress = before is null ? 0 : s.SuccessRate - before.SuccessRate;
            var role = RoleIndex(s.Role);
            features[i] =
            [
                (float)(s.TickRateHz / TickRates.MaxHz),
                (float)Math.Clamp(s.MeasuredRateHz / Math.Max(s.TickRateHz, 1), 0, 2),
                (float)Math.Clamp(s.TickLagMs / 1000, 0, 1),
                (float)Math.Clamp(cpuShare, 0, 2),
                (float)Math.Clamp(s.RewardRate, -1, 1),
                (float)s.SuccessRate,
                (float)Math.Clamp(progress * 10, -1, 1),
                (float)Math.Tanh(s.Lifeforce / 100),
                (float)s.Epsilon,
                s.Level / 3f,
                allocation?.GateOpen == true ? 1 : 0,
                // What the cortex made it wait over the epoch: in its queue (how deep, how urgent the others), and in the call.
                o.Cortex.Calls == 0 ? 0 : (float)Math.Tanh(o.Cortex.QueueMs / o.Cortex.Calls / CortexWaitScaleMs),
                o.Cortex.Calls == 0 ? 0 : (float)Math.Tanh(o.Cortex.LatencyMs / o.Cortex.Calls / CortexWaitScaleMs),
                (float)meanReward,
                (float)Math.Clamp(quotaOnHost[o.Host] / Math.Max(hostBudgetPercent, 1), 0, 2),
                present.Count / 100f,
                (float)Math.Tanh(cortexQueueDepth / CortexQueueScale),
                role == 0 ? 1 : 0,
                role == 1 ? 1 : 0,
                role == 2 ? 1 : 0,
                s.QuizPassed switch { true => 1, false => -1, null => 0 },
                (float)sharePassed,
            ];

            if (before is not null && GovernorObjective.Measures(before, s))
            {
                yields[npcId] = GovernorObjective.Of(before, s, o.Cortex.QueueMs + o.Cortex.LatencyMs, lifeforceWeight);
            }

            (o.AtLastEpoch, o.LastEpochAt, o.Cortex) = (s, now, default);
        }

        return new Epoch(features, EpochYield.Sum(yields));
    }

    private static int RoleIndex(string? role)
    {
        for (var i = 0; i < BrainCommandLine.Roles.Count; i++)
        {
            if (BrainCommandLine.Roles[i] == role)
            {
                return i;
            }
        }

        return -1;
    }
}
