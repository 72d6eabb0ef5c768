namespace Nimmerverse.Protocol;

/// <summary>
/// The traits a house can have, by kind, shared by the world (which assigns them) and the brains
/// (which encode a goal as one value of each kind). A goal's traits on the wire are value indices,
/// one per kind in this order; the first level uses the first two kinds, each level adds one.
/// </summary>
public static class TraitCatalogue
{
    /// <summary>The largest grid side any level reaches.</summary>
    public const int MaxSide = 16;

    public static readonly IReadOnlyList<(string Kind, IReadOnlyList<string> Values)> Kinds =
    [
        ("colour", ["red", "blue", "green", "yellow", "white", "black", "orange", "purple", "grey", "brown"]),
        ("feature", ["a well", "a garden", "a barn", "a tower", "a fountain", "a bakery", "a forge", "a mill", "a shrine", "a chapel"]),
        ("roof", ["thatch", "slate", "tile", "copper"]),
        ("door", ["oak", "iron", "painted", "arched"]),
    ];

    /// <summary>Sum of the kinds' value counts: the length of a goal's one-hot encoding.</summary>
    public static int EncodedLength { get; } = Kinds.Sum(k => k.Values.Count);

    /// <summary>"red house with a well, slate roof": a goal as people read it.</summary>
    public static string Describe(IReadOnlyList<int> traits)
    {
        var parts = new List<string>(traits.Count);
        for (var kind = 0; kind < traits.Count; kind++)
        {
            var value = Kinds[kind].Values[traits[kind]];
            parts.Add(kind switch
            {
                0 => $"{value} house",
                1 => $"with {value}",
                _ => $"{value} {Kinds[kind].Kind}",
            });
        }

        return string.Join(", ", parts);
    }

    public static string? Problem(IReadOnlyList<int> traits)
    {
        if (traits.Count is < 1 || traits.Count > Kinds.Count)
        {
            return $"goal_traits has {traits.Count} values; 1..{Kinds.Count} expected";
        }

        for (var kind = 0; kind < traits.Count; kind++)
        {
            if (traits[kind] < 0 || traits[kind] >= Kinds[kind].Values.Count)
            {
                return $"goal_traits[{kind}] {traits[kind]} is not a {Kinds[kind].Kind} (0..{Kinds[kind].Values.Count - 1})";
            }
        }

        return null;
    }
}
