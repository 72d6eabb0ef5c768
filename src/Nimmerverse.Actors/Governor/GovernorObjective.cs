using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Governor;

/// <summary>
/// What the governor is for, in one place: the village's learning progress per unit of what it
/// spends. An NPC's <see cref="Skill"/> is its curriculum level plus its success rate on it (shrunk
/// while it has few errands behind it), so a
/// level gained counts as much as going from never to always reaching its goals; its progress over
/// an epoch is the skill it gained and, a little, the lifeforce it gained net (its goals against its
/// moves and the cortex's answers it paid for; how little is <c>Governor:LifeforceWeight</c>). What it spent is its CPU-seconds and, priced in
/// CPU-seconds, the time it waited for the cortex. Why, and how the learner uses it, is in
/// docs/learning.md.
/// </summary>
public static class GovernorObjective
{
    /// <summary>Progress per point of lifeforce gained net, unless <c>Governor:LifeforceWeight</c> says otherwise: a goal (1 point) is worth a thousandth of a level.</summary>
    public const double DefaultLifeforceWeight = 0.001;

    /// <summary>CPU-seconds charged per second an NPC waited for the cortex (in its queue and in the call).</summary>
    public const double CortexWaitCost = 0.01;

    /// <summary>A random walk's success on the first level, which a brain's rate is shrunk toward while it has few errands behind it.</summary>
    public const double PriorSuccess = 0.23;

    /// <summary>How many errands that prior weighs, as if they had gone that way.</summary>
    public const double PriorErrands = 10;

    /// <summary>
    /// What an NPC knows: its level, plus the share of its recent errands on that level it reached. A
    /// rate over few errands says little (a newcomer's first errand reached reads as 100 %, and so does
    /// the first after a level-up), so it is shrunk toward a random walk's as if
    /// <see cref="PriorErrands"/> more had gone that way. How many it is over is the brain's word
    /// (<see cref="NpcStateBody.SuccessErrands"/>), or, from a brain that does not say, its episodes up
    /// to the window.
    /// </summary>
    public static double Skill(NpcStateBody state)
    {
        var errands = Math.Min(state.SuccessErrands ?? state.Episode, NpcStateBody.SuccessWindow);
        return state.Level + (((state.SuccessRate * errands) + (PriorSuccess * PriorErrands)) / (errands + PriorErrands));
    }

    /// <summary>
    /// Whether an epoch between these two states of an NPC measures anything: they are of one brain process (neither its
    /// tick nor its CPU counter went back, as they do for a newcomer or a restart), and both came after the brain's first
    /// look at the world. Before that its level and lifeforce read 0, and the jump to its citizen's would count as the
    /// whole lifeforce the citizen ever earned, gained in one epoch.
    /// </summary>
    public static bool Measures(NpcStateBody before, NpcStateBody now) =>
        now.Tick >= before.Tick && now.CpuMs >= before.CpuMs && before.InWorld != false && now.InWorld != false;

    /// <summary>One NPC's epoch, between two states of the same brain process (<see cref="Measures"/>), a point of lifeforce worth <paramref name="lifeforceWeight"/> of a level.</summary>
    public static NpcYield Of(NpcStateBody before, NpcStateBody now, double cortexWaitMs, double lifeforceWeight) => new(
        Skill(now) - Skill(before) + (lifeforceWeight * (now.Lifeforce - before.Lifeforce)),
        (Math.Max(now.CpuMs - before.CpuMs, 0) / 1000) + (CortexWaitCost * Math.Max(cortexWaitMs, 0) / 1000));
}

/// <summary>One NPC's epoch: the progress it made and what it cost (CPU-seconds, the cortex's waits priced in).</summary>
public readonly record struct NpcYield(double Progress, double Cost);

/// <summary>The village's epoch: the sums over its NPCs, and each NPC's own (those with an epoch behind them).</summary>
public sealed record EpochYield(double Progress, double Cost, IReadOnlyDictionary<int, NpcYield> Npcs)
{
    public static readonly EpochYield None = new(0, 0, new Dictionary<int, NpcYield>());

    /// <summary>Learning progress per CPU-second: the village's score for the epoch (0 when nothing was spent).</summary>
    public double Ratio => Cost > 0 ? Progress / Cost : 0;

    public static EpochYield Sum(IReadOnlyDictionary<int, NpcYield> npcs) =>
        new(npcs.Values.Sum(n => n.Progress), npcs.Values.Sum(n => n.Cost), npcs);
}
