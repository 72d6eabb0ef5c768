namespace Nimmerverse.Protocol;

/// <summary>The four moves along a grid edge. On the wire: <c>N</c>, <c>S</c>, <c>E</c>, <c>W</c>.</summary>
public static class Moves
{
    public static readonly IReadOnlyList<string> All = ["N", "S", "E", "W"];

    public static int IndexOf(string move) => move switch
    {
        "N" => 0,
        "S" => 1,
        "E" => 2,
        "W" => 3,
        _ => -1,
    };
}

/// <summary>
/// An NPC's step in the grid world (<c>world_step</c>, a request on <c>{env}.world.grid.step</c>).
/// <see cref="Action"/> is a move, or absent to only look (a brain that starts or restarts).
/// </summary>
public sealed record WorldStepBody(int NpcId, string? Action = null) : IMessageBody, INpcMessage
{
    public static string MessageType => "world_step";

    public string? Problem() => Checks.First(
        NpcId < 0 ? $"npc_id {NpcId} is negative" : null,
        Action is not null && Moves.IndexOf(Action) < 0 ? $"action '{Truncate(Action)}' is not one of N, S, E, W" : null);

    private static string Truncate(string text) => text.Length > 16 ? text[..16] + "..." : text;
}

/// <summary>
/// What an NPC sees after a step: where it stands, which house it is looking for (by traits,
/// never by node: finding it is what the NPC learns), which moves are open and which lead into
/// a crowded node, and the step's reward. When <see cref="Done"/> is set the episode has ended
/// (reached the goal, or ran out of steps) and the rest describes the start of the next one.
/// In a <see cref="Quiz"/> episode the NPC is examined: it should act on what it knows and not learn.
/// </summary>
public sealed record WorldObservation(
    int NpcId,
    int Level,
    int Rows,
    int Columns,
    int Node,
    IReadOnlyList<int> GoalTraits,
    string Goal,
    IReadOnlyList<string> OpenMoves,
    IReadOnlyList<string> BlockedMoves,
    double Reward,
    bool Done,
    bool Success,
    bool Collision,
    long Episode,
    bool Quiz,
    int StepsLeft,
    double Lifeforce)
{
    public string? Problem() => Checks.First(
        NpcId < 0 ? $"npc_id {NpcId} is negative" : null,
        Level < 0 ? $"level {Level} is negative" : null,
        Rows is < 2 or > TraitCatalogue.MaxSide || Columns is < 2 or > TraitCatalogue.MaxSide ? $"grid {Rows}x{Columns} is outside 2..{TraitCatalogue.MaxSide}" : null,
        Node < 0 || Node >= Rows * Columns ? $"node {Node} is not on the {Rows}x{Columns} grid" : null,
        TraitCatalogue.Problem(GoalTraits),
        OpenMoves.Count > Moves.All.Count || BlockedMoves.Count > Moves.All.Count || OpenMoves.Concat(BlockedMoves).Any(m => Moves.IndexOf(m) < 0) ? "a move is not one of N, S, E, W" : null,
        Checks.Finite("reward", Reward),
        Checks.Finite("lifeforce", Lifeforce),
        StepsLeft < 0 ? $"steps_left {StepsLeft} is negative" : null);
}

/// <summary>The world's answer to a <see cref="WorldStepBody"/> (<c>world_step_result</c>): an observation, or the reason there is none.</summary>
public sealed record WorldStepResultBody(WorldObservation? Observation = null, string? Error = null) : IMessageBody
{
    public static string MessageType => "world_step_result";

    public string? Problem() => (Observation, Error) switch
    {
        (null, null) => "neither observation nor error is set",
        ({ }, { }) => "both observation and error are set",
        ({ } observation, null) => observation.Problem(),
        _ => null,
    };
}

/// <summary>Ask the world for the quiz standings (<c>quiz_query</c>, a request on <c>{env}.world.grid.quiz</c>).</summary>
public sealed record QuizQueryBody(int? NpcId = null) : IMessageBody
{
    public static string MessageType => "quiz_query";

    public string? Problem() => NpcId < 0 ? $"npc_id {NpcId} is negative" : null;
}

/// <summary>One citizen's latest quiz: how many homes it found out of how many it was asked for.</summary>
public sealed record QuizStanding(int NpcId, int Rounds, int Found, int Asked, bool Passed);

/// <summary>
/// The quiz standings (<c>quiz_report</c>): the world levels up when every citizen has passed
/// its latest round at the current level.
/// </summary>
public sealed record QuizReportBody(int Level, int MaxLevel, int Rows, int Columns, bool AllPassed, IReadOnlyList<QuizStanding> Citizens) : IMessageBody
{
    public static string MessageType => "quiz_report";

    public string? Problem() => Checks.First(
        Level < 0 || Level > MaxLevel ? $"level {Level} is outside 0..{MaxLevel}" : null,
        Checks.AtMostItems("citizens", Citizens, AllocationBody.MaxNpcs),
        Citizens.Any(c => c is null) ? "a citizen is null" : null);
}
