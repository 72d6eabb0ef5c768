using Nimmerverse.Actors.World;
using Nimmerverse.Protocol;

namespace Nimmerverse.Supervisor.Configuration;

/// <summary>Section <c>Nimmerverse:World</c>: the grid world (README, "The world").</summary>
public sealed class WorldOptions : IOptionsSection
{
    /// <summary>Node rows of the level-0 arena, 2-10. Default 5.</summary>
    public int Rows { get; init; } = GridWorldSettings.Default.Rows;

    /// <summary>Node columns of the level-0 arena, 2-10. Default 5.</summary>
    public int Columns { get; init; } = GridWorldSettings.Default.Columns;

    /// <summary>Citizens (NPC ids 0..Citizens-1), each with a home. Default 25.</summary>
    public int Citizens { get; init; } = GridWorldSettings.Default.Citizens;

    /// <summary>The last curriculum level, 0-3. Default 3.</summary>
    public int MaxLevel { get; init; } = GridWorldSettings.Default.MaxLevel;

    /// <summary>NPCs that fit on one node. Default 2.</summary>
    public int NodeCapacity { get; init; } = GridWorldSettings.Default.NodeCapacity;

    /// <summary>Training episodes between two quiz rounds of one NPC. Default 50.</summary>
    public int QuizEvery { get; init; } = GridWorldSettings.Default.QuizEvery;

    /// <summary>Share of training episodes that seek the NPC's own home. Default 0.5.</summary>
    public double OwnHomeShare { get; init; } = GridWorldSettings.Default.OwnHomeShare;

    /// <summary>Lifeforce earned for a goal reached. Default 1.</summary>
    public double GoalIncome { get; init; } = GridWorldSettings.Default.GoalIncome;

    /// <summary>Lifeforce a move costs. Default 0.02.</summary>
    public double MoveCost { get; init; } = GridWorldSettings.Default.MoveCost;

    /// <summary>Seed of the village (houses, homes, starts). Default 1.</summary>
    public int Seed { get; init; } = GridWorldSettings.Default.Seed;

    public GridWorldSettings ToSettings() => GridWorldSettings.Default with
    {
        Rows = Rows, Columns = Columns, Citizens = Citizens, MaxLevel = MaxLevel, NodeCapacity = NodeCapacity,
        QuizEvery = QuizEvery, OwnHomeShare = OwnHomeShare, GoalIncome = GoalIncome, MoveCost = MoveCost, Seed = Seed,
    };

    public void Validate(OptionProblems problems)
    {
        foreach (var (key, side) in new[] { ("Rows", Rows), ("Columns", Columns) })
        {
            if (side is < 2 or > 10)
            {
                problems.Add(key, $"{side} is outside 2..10 (each level adds two, up to {TraitCatalogue.MaxSide})");
            }
        }

        if (MaxLevel is < 0 or > 3)
        {
            problems.Add("MaxLevel", $"{MaxLevel} is outside 0..3");
        }

        var homes = System.Math.Min(Rows * Columns, ToSettings().Curriculum.DistinctHousesAt(0));
        if (Citizens < 1 || Citizens > homes)
        {
            problems.Add("Citizens", $"{Citizens} is outside 1..{homes} (one home per node, each told apart by its traits)");
        }

        if (NodeCapacity < 1)
        {
            problems.Add("NodeCapacity", $"{NodeCapacity} must be at least 1");
        }

        if (QuizEvery < 1)
        {
            problems.Add("QuizEvery", $"{QuizEvery} must be at least 1");
        }

        if (!double.IsFinite(OwnHomeShare) || OwnHomeShare is < 0 or > 1)
        {
            problems.Add("OwnHomeShare", $"{OwnHomeShare} is not a share between 0 and 1");
        }

        problems.Cost("GoalIncome", GoalIncome);
        problems.Cost("MoveCost", MoveCost);
    }
}
