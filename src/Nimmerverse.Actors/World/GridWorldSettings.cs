using Nimmerverse.Actors.Configuration;
using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.World;

/// <summary>The grid world: section <c>Nimmerverse:World</c>.</summary>
public sealed record GridWorldSettings : IOptionsSection
{
    public static GridWorldSettings Default { get; } = new();

    /// <summary>Node rows of the level-0 arena, 2-10. Default 5.</summary>
    public int Rows { get; init; } = 5;

    /// <summary>Node columns of the level-0 arena, 2-10. Default 5.</summary>
    public int Columns { get; init; } = 5;

    /// <summary>The most citizens a world holds.</summary>
    public const int MaxCitizens = 1_000;

    /// <summary>
    /// NPCs living in the world, ids 0..Citizens-1, each with a home, 1-1000. They fill villages of
    /// <see cref="VillageSize"/> homes in id order. Default 25 (one full village of the default arena).
    /// </summary>
    public int Citizens { get; init; } = 25;

    /// <summary>The last curriculum level, 0-3; each adds two rows and columns and a trait kind. Default 3.</summary>
    public int MaxLevel { get; init; } = 3;

    /// <summary>NPCs that fit on one node; a move into a full node is a collision. Default 2.</summary>
    public int NodeCapacity { get; init; } = 2;

    /// <summary>Share of training episodes whose goal is the NPC's own home; the rest seek other citizens' homes. Default 0.5.</summary>
    public double OwnHomeShare { get; init; } = 0.5;

    /// <summary>Training episodes between two quiz rounds of one NPC. Default 50.</summary>
    public int QuizEvery { get; init; } = 50;

    /// <summary>Reward for reaching the goal. Default 1.</summary>
    public double GoalReward { get; init; } = 1;

    /// <summary>Reward subtracted for every step (it favours short paths). Default 0.01.</summary>
    public double StepCost { get; init; } = 0.01;

    /// <summary>Reward subtracted for a move off the grid (the NPC stays). Default 0.1.</summary>
    public double BumpPenalty { get; init; } = 0.1;

    /// <summary>Reward subtracted for a move into a full node (the NPC stays). Default 0.2.</summary>
    public double CollisionPenalty { get; init; } = 0.2;

    /// <summary>Lifeforce earned by the NPC and the organism for a goal reached. Default 1.</summary>
    public double GoalIncome { get; init; } = 1;

    /// <summary>Lifeforce a move costs. Default 0.02.</summary>
    public double MoveCost { get; init; } = 0.02;

    /// <summary>An NPC's lifeforce when it is born. Default 10.</summary>
    public double InitialLifeforce { get; init; } = 10;

    /// <summary>An NPC that has not stepped for this long no longer occupies its node. Default 10 s.</summary>
    public TimeSpan AbsentAfter { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Seed of the houses, homes and starts: the same seed builds the same village. Default 1.</summary>
    public int Seed { get; init; } = 1;

    public Curriculum Curriculum => new(Rows, Columns, MaxLevel);

    /// <summary>Homes in a village: one per node of the level-0 arena, each told apart by its level-0 traits.</summary>
    public int VillageSize => System.Math.Max(1, System.Math.Min(Rows * Columns, Curriculum.DistinctHousesAt(0)));

    /// <summary>How many villages the citizens fill; the last may have fewer homes than the others.</summary>
    public int Villages => (Citizens + VillageSize - 1) / VillageSize;

    /// <summary>The step budget of an episode whose goal is <paramref name="distance"/> edges away: twice the shortest path, plus four.</summary>
    public static int StepBudget(int distance) => (2 * distance) + 4;

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

        if (Citizens is < 1 or > MaxCitizens)
        {
            problems.Add("Citizens", $"{Citizens} is outside 1..{MaxCitizens}");
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
        foreach (var (key, amount) in new[] { ("GoalReward", GoalReward), ("StepCost", StepCost), ("BumpPenalty", BumpPenalty), ("CollisionPenalty", CollisionPenalty) })
        {
            problems.NotNegative(key, amount);
        }

        problems.Cost("InitialLifeforce", InitialLifeforce);

        problems.Positive("AbsentAfter", AbsentAfter);
    }
}
