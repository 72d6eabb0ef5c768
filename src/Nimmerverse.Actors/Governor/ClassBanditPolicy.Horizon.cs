namespace Nimmerverse.Actors.Governor;

public sealed partial class ClassBanditPolicy
{
    /// <summary>
    /// The classes as the price weighs them (<see cref="BestRatio"/>), from each class's progress and CPU an epoch at each
    /// rate (null: no curve yet) and its NPCs or NPC-epochs: a role's exploring and learning classes as one class at one
    /// rate, their curves mixed in proportion to their NPCs; every skilled class on its own. Apart, the best ratio put
    /// exploring at 1 Hz, where its epochs cost least, beside learning at 20 Hz, where they buy most, as though the
    /// learners would come all the same; but a newcomer learns only once it has explored, and at 1 Hz it explores for
    /// longer than a lifetime. That price was a ratio no village reached (0.14-0.27 per CPU-second where the best made
    /// 0.07), and at it a newcomer's fast exploring looked no better than slow.
    /// </summary>
    internal static IEnumerable<((double Progress, double Cost)[]? Arms, double Npcs)> NewcomersAsOne(IReadOnlyList<(double Progress, double Cost)[]?> arms, IReadOnlyList<double> npcs) =>
        NpcClass.All
            .Where(c => npcs[c.Index] > 0 && arms[c.Index] is not null)
            .GroupBy(c => c.Stage < NpcClass.SkilledStage ? -1 - c.Role : c.Index)
            .Select(group =>
            {
                var total = group.Sum(c => npcs[c.Index]);
                var mixed = Enumerable.Range(0, RateArmsHz.Count)
                    .Select(rate => (group.Sum(c => npcs[c.Index] * arms[c.Index]![rate].Progress) / total, group.Sum(c => npcs[c.Index] * arms[c.Index]![rate].Cost) / total))
                    .ToArray();
                return (((double Progress, double Cost)[]?)mixed, total);
            });
}
