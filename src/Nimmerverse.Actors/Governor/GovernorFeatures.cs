using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Governor;

/// <summary>
/// The governor's view of one epoch: a feature vector per present NPC (its own state, its load
/// against its quota, its learning progress, its gate) plus village-level context shared by all,
/// and the village's reward per CPU-second over the epoch that just ended.
/// </summary>
public static class GovernorFeatures
{
    /// <summary>Per-NPC features, then the context: the village's mean reward, its host's load, the village's size, the cortex's queue (13 + 4).</summary>
    public const int Count = 17;

    /// <summary>Lifeforce burnt per point of reward per CPU-second.</summary>
    public const double LifeforceWeight = 0.01;

    /// <summary>The cortex's times (its queue, its call) as features: tanh of the epoch's mean over this.</summary>
    public const double CortexWaitScaleMs = 4000;

    /// <summary>The cortex's queue depth as a feature: tanh of the depth over this.</summary>
    public const double CortexQueueScale = 16;

    /// <summary>
    /// What a curriculum level gained is worth, in points of reward: as much as fifty goals reached.
    /// A level-up is rare (every citizen must pass its quiz) and is what the village exists for.
    /// </summary>
    public const double LevelReward = 50;

    /// <param name="Features">One row per present NPC, in their order.</param>
    /// <param name="Reward">The village's reward per CPU-second over the epoch that ended.</param>
    /// <param name="CpuSeconds">CPU the brains used over it.</param>
    /// <param name="RewardPerSecond">The village's reward per second of wall time.</param>
    /// <param name="NpcRewards">Each NPC's own reward per CPU-second over the epoch, by id (those with an epoch behind them).</param>
    public sealed record Epoch(float[][] Features, double Reward, double CpuSeconds, double RewardPerSecond, IReadOnlyDictionary<int, double> NpcRewards);

    /// <summary>
    /// Builds the features of the NPCs in <paramref name="present"/> (their last allocations in
    /// <paramref name="previous"/>, if any) and the reward of the epoch that ended now. Afterwards
    /// each observation's state is remembered as the epoch's, for the next differences.
    /// </summary>
    public static Epoch Build(IReadOnlyList<(int NpcId, NpcObservations.Observation Observation)> present, IReadOnlyDictionary<int, NpcAllocation> previous, double hostBudgetPercent, DateTimeOffset now, int cortexQueueDepth = 0)
    {
        var features = new float[present.Count][];
        double rewardPerSecond = 0, cpuSeconds = 0, lifeforceBurnt = 0, seconds = 0, levelProgress = 0;
        var npcRewards = new Dictionary<int, double>();
        var meanReward = present.Count == 0 ? 0 : present.Average(p => Math.Clamp(p.Observation.Latest.RewardRate, -1, 1));
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
            ];

            if (elapsed > 0)
            {
                // Its reported lifeforce is already less what the cortex cost: burnt counts both, once.
                var burnt = Math.Max(before!.Lifeforce - s.Lifeforce, 0);
                var levelsGained = Math.Max(s.Level - before.Level, 0);
                rewardPerSecond += s.RewardRate * s.MeasuredRateHz;
                cpuSeconds += cpu;
                seconds = Math.Max(seconds, elapsed);
                lifeforceBurnt += burnt;
                levelProgress += levelsGained;
                npcRewards[npcId] = (((s.RewardRate * s.MeasuredRateHz * elapsed) + (LevelReward * levelsGained)) / Math.Max(cpu, 0.01)) - (LifeforceWeight * burnt);
            }

            (o.AtLastEpoch, o.LastEpochAt, o.Cortex) = (s, now, default);
        }

        // The village's outcome (its rewards and the levels it gained) per CPU-second spent, minus the
        // lifeforce it burnt. LLM latency joins it once there is a cortex to wait for.
        var reward = cpuSeconds > 0 ? (((rewardPerSecond * seconds) + (LevelReward * levelProgress)) / Math.Max(cpuSeconds, 0.01)) - (LifeforceWeight * lifeforceBurnt) : 0;
        return new Epoch(features, reward, cpuSeconds, rewardPerSecond, npcRewards);
    }
}
