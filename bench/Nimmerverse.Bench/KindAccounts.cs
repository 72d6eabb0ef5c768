using System.Globalization;
using Nimmerverse.Actors.Governor;
using Nimmerverse.Protocol;

namespace Nimmerverse.Bench;

/// <summary>
/// What each kind of NPC made of its CPU over a window, by the objective's own measure split in its
/// parts: skill gained, lifeforce gained (weighted as the objective weighs it), CPU-seconds. A kind is
/// what <paramref name="kindOf"/> makes of the brain's state at the start of each epoch (<see cref="ByActivity"/>,
/// <see cref="ByQuiz"/>). Under one fixed rate, a kind whose progress per CPU-second is below the village's is
/// where slowing down would pay; this says whether a scenario leaves a governor any room to beat that rate,
/// and how much. A point of lifeforce counts <paramref name="lifeforceWeight"/> of a level.
/// </summary>
internal sealed class KindAccounts(Func<NpcStateBody, string> kindOf, double lifeforceWeight)
{
    private readonly SortedDictionary<string, (double Skill, double Lifeforce, double Cpu, int Epochs)> _kinds = new(StringComparer.Ordinal);

    /// <summary>A role and what the brain was doing: exploring (epsilon above 0.5, a newcomer), or reaching its goal below or at least half the time.</summary>
    public static KindAccounts ByActivity(double lifeforceWeight) =>
        new(state => $"{state.Role ?? "?"} {(state.Epsilon > NpcClass.ExploringAbove ? "exploring" : state.SuccessRate < NpcClass.LearningBelow ? "success < 50 %" : "success >= 50 %")}", lifeforceWeight);

    /// <summary>Its latest quiz round at the world's level: passed, failed, or none yet.</summary>
    public static KindAccounts ByQuiz(double lifeforceWeight) =>
        new(state => state.QuizPassed switch { true => "passed its round", false => "failed its round", null => "no round yet" }, lifeforceWeight);

    /// <summary>Books one epoch of one brain process, between two of its states.</summary>
    public void Add(NpcStateBody before, NpcStateBody now)
    {
        var kind = kindOf(before);
        var epoch = GovernorObjective.Of(before, now, 0, lifeforceWeight);
        var lifeforce = lifeforceWeight * (now.Lifeforce - before.Lifeforce);
        var (skill, gained, cpu, epochs) = _kinds.GetValueOrDefault(kind);
        _kinds[kind] = (skill + (epoch.Progress - lifeforce), gained + lifeforce, cpu + epoch.Cost, epochs + 1);
    }

    /// <summary>One line per kind: skill + lifeforce over CPU-seconds, and its share of the window's CPU.</summary>
    public override string ToString()
    {
        var total = _kinds.Values.Sum(k => k.Cpu);
        return string.Join("; ", _kinds.Select(k => string.Create(CultureInfo.InvariantCulture,
            $"{k.Key}: ({k.Value.Skill:F3} + {k.Value.Lifeforce:F3}) / {k.Value.Cpu:F1} CPU-s = {(k.Value.Cpu > 0 ? (k.Value.Skill + k.Value.Lifeforce) / k.Value.Cpu : 0):F4} ({(total > 0 ? k.Value.Cpu / total : 0):P0} of the CPU)")));
    }
}
