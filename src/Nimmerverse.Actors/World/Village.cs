using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.World;

/// <summary>A house at a node, with its traits (value indices, one per trait kind of the level).</summary>
public sealed record House(int Citizen, int Node, IReadOnlyList<int> Traits)
{
    public string Description => TraitCatalogue.Describe(Traits);
}

/// <summary>
/// One level's village: the map and the homes of its citizens, each house told apart from the
/// others by its traits. Built from a seed, so the same seed and level build the same village.
/// </summary>
public sealed class Village
{
    private Village(int level, GridMap map, int firstCitizen, IReadOnlyList<House> homes)
    {
        Level = level;
        Map = map;
        FirstCitizen = firstCitizen;
        Homes = homes;
    }

    public int Level { get; }

    public GridMap Map { get; }

    /// <summary>The id of this village's first citizen; its citizens' ids follow on.</summary>
    public int FirstCitizen { get; }

    /// <summary>Citizen <c>FirstCitizen + i</c>'s home is <c>Homes[i]</c>.</summary>
    public IReadOnlyList<House> Homes { get; }

    public House HomeOf(int citizen) => Homes[citizen - FirstCitizen];

    public static Village Build(Curriculum curriculum, int level, int firstCitizen, int citizens, Random random)
    {
        var map = curriculum.MapAt(level);
        if (citizens > map.NodeCount || citizens > curriculum.DistinctHousesAt(level))
        {
            throw new ArgumentOutOfRangeException(nameof(citizens), citizens, $"{citizens} homes do not fit level {level} ({map.Rows}x{map.Columns} nodes, {curriculum.DistinctHousesAt(level)} distinct houses)");
        }

        var nodes = Enumerable.Range(0, map.NodeCount).ToArray();
        random.Shuffle(nodes);
        var kinds = curriculum.TraitKindsAt(level);
        var combinations = AllCombinations(kinds).ToArray();
        random.Shuffle(combinations);
        var homes = Enumerable.Range(0, citizens).Select(c => new House(firstCitizen + c, nodes[c], combinations[c])).ToArray();
        return new Village(level, map, firstCitizen, homes);
    }

    /// <summary>A village kept in a <see cref="WorldSnapshot"/>, as it was built.</summary>
    public static Village Restore(Curriculum curriculum, int level, IReadOnlyList<House> homes) => new(level, curriculum.MapAt(level), homes[0].Citizen, homes);

    private static IEnumerable<int[]> AllCombinations(int kinds)
    {
        IEnumerable<int[]> combinations = [[]];
        for (var kind = 0; kind < kinds; kind++)
        {
            var values = TraitCatalogue.Kinds[kind].Values.Count;
            combinations = combinations.SelectMany(prefix => Enumerable.Range(0, values).Select(v => prefix.Append(v).ToArray()));
        }

        return combinations;
    }
}
