namespace Nimmerverse.Actors.World;

/// <summary>The grid world's settings; bound from <c>Nimmerverse:World</c>.</summary>
/// <param name="Rows">Node rows of the level-0 arena. Default 5.</param>
/// <param name="Columns">Node columns of the level-0 arena. Default 5.</param>
/// <param name="Citizens">NPCs living in the world, ids 0..Citizens-1, each with a home. Default 25.</param>
/// <param name="MaxLevel">The last curriculum level; each adds two rows and columns and a trait kind. Default 3.</param>
/// <param name="NodeCapacity">NPCs that fit on one node; a move into a full node is a collision. Default 2.</param>
/// <param name="OwnHomeShare">Share of training episodes whose goal is the NPC's own home; the rest seek other citizens' homes. Default 0.5.</param>
/// <param name="QuizEvery">Training episodes between two quiz rounds of one NPC. Default 50.</param>
/// <param name="GoalReward">Reward for reaching the goal. Default 1.</param>
/// <param name="StepCost">Reward subtracted for every step (it favours short paths). Default 0.01.</param>
/// <param name="BumpPenalty">Reward subtracted for a move off the grid (the NPC stays). Default 0.1.</param>
/// <param name="CollisionPenalty">Reward subtracted for a move into a full node (the NPC stays). Default 0.2.</param>
/// <param name="GoalIncome">Lifeforce earned by the NPC and the organism for a goal reached. Default 1.</param>
/// <param name="MoveCost">Lifeforce a move costs. Default 0.02.</param>
/// <param name="InitialLifeforce">An NPC's lifeforce when it is born. Default 10.</param>
/// <param name="AbsentAfter">An NPC that has not stepped for this long no longer occupies its node. Default 10 s.</param>
/// <param name="Seed">Seed of the houses, homes and starts: the same seed builds the same village. Default 1.</param>
public sealed record GridWorldSettings(
    int Rows = 5,
    int Columns = 5,
    int Citizens = 25,
    int MaxLevel = 3,
    int NodeCapacity = 2,
    double OwnHomeShare = 0.5,
    int QuizEvery = 50,
    double GoalReward = 1,
    double StepCost = 0.01,
    double BumpPenalty = 0.1,
    double CollisionPenalty = 0.2,
    double GoalIncome = 1,
    double MoveCost = 0.02,
    double InitialLifeforce = 10,
    TimeSpan? AbsentAfter = null,
    int Seed = 1)
{
    public static readonly GridWorldSettings Default = new();

    public TimeSpan Absence => AbsentAfter ?? TimeSpan.FromSeconds(10);

    public Curriculum Curriculum => new(Rows, Columns, MaxLevel);

    /// <summary>The step budget of an episode whose goal is <paramref name="distance"/> edges away: twice the shortest path, plus four.</summary>
    public static int StepBudget(int distance) => (2 * distance) + 4;
}
