using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.World;

/// <summary>
/// The curriculum: level 0 is the configured arena (default 5x5 nodes, houses told apart by
/// colour and feature); each level up makes the grid two nodes wider and taller and adds one
/// trait kind, until <see cref="MaxLevel"/>.
/// </summary>
public sealed record Curriculum(int Rows, int Columns, int MaxLevel)
{
    public GridMap MapAt(int level) => new(Rows + (2 * level), Columns + (2 * level));

    public int TraitKindsAt(int level) => Math.Min(2 + level, TraitCatalogue.Kinds.Count);

    /// <summary>How many distinct houses the traits of <paramref name="level"/> can describe.</summary>
    public int DistinctHousesAt(int level) =>
        TraitCatalogue.Kinds.Take(TraitKindsAt(level)).Aggregate(1, (product, kind) => product * kind.Values.Count);
}
