namespace Nimmerverse.Protocol;

/// <summary>
/// A brain's learned state (<c>npc_checkpoint</c>), handed to the supervisor over NATS
/// (<c>{env}.supervisor.checkpoints.save</c>); the brain holds no database credentials.
/// <see cref="Weights"/> is the policy network in TorchSharp's state format (base64 on the wire).
/// <see cref="RecentErrands"/> are the outcomes of its last errands (reached or not, oldest first) at
/// <see cref="Level"/>: a restored brain reports the success it had, instead of a rate that climbs
/// back from nothing as its window refills (which would read as learning it never did). <see cref="QuizPassed"/>
/// is its latest quiz round at <see cref="Level"/> (null: none yet): a restored brain reports the standing it had,
/// instead of none until its next round, up to a success window of training episodes later (which would read as a
/// brain the quiz has not seen). All three absent in checkpoints from before they were kept.
/// The supervisor keeps the last <see cref="KeptPerNpc"/> of each NPC; a brain that finds the newest
/// unusable tries the ones before it, no more than that many.
/// </summary>
public sealed record NpcCheckpointBody(
    int NpcId,
    long Sequence,
    string Role,
    string Format,
    byte[] Weights,
    long Steps,
    long Episodes,
    double Epsilon,
    int? Level = null,
    bool[]? RecentErrands = null,
    bool? QuizPassed = null) : IMessageBody, INpcMessage
{
    /// <summary>Checkpoints kept per NPC, the newest first.</summary>
    public const int KeptPerNpc = 5;

    /// <summary>Checkpoints are larger than waves; they travel up to NATS's own default maximum payload.</summary>
    public const int MaxPayloadBytes = 1024 * 1024;

    public static string MessageType => "npc_checkpoint";

    public string? Problem() => Checks.First(
        NpcId < 0 ? $"npc_id {NpcId} is negative" : null,
        Sequence < 1 ? $"sequence {Sequence} is not positive" : null,
        Checks.NotEmpty("role", Role),
        Checks.NotEmpty("format", Format),
        Weights.Length == 0 ? "weights are empty" : null,
        Steps < 0 || Episodes < 0 ? "steps and episodes must not be negative" : null,
        Checks.InRange("epsilon", Epsilon, 0, 1),
        Level < 0 ? $"level {Level} is negative" : null,
        RecentErrands is { Length: > NpcStateBody.SuccessWindow } ? $"recent_errands holds {RecentErrands.Length} outcomes, more than the success window's {NpcStateBody.SuccessWindow}" : null,
        RecentErrands is not null && Level is null ? "recent_errands without the level they were at" : null,
        QuizPassed is not null && Level is null ? "quiz_passed without the level it was at" : null);
}

/// <summary>The supervisor's answer to a save (<c>checkpoint_saved</c>): stored, or why not.</summary>
public sealed record CheckpointSavedBody(int NpcId, long Sequence, string? Error = null) : IMessageBody
{
    public static string MessageType => "checkpoint_saved";

    public string? Problem() => NpcId < 0 ? $"npc_id {NpcId} is negative" : null;
}

/// <summary>
/// Ask for an NPC's latest checkpoint (<c>checkpoint_query</c>, on <c>{env}.supervisor.checkpoints.{id}.load</c>),
/// or, with <see cref="Before"/>, the latest one older than that sequence: a brain that cannot use its
/// newest falls back to the one before.
/// </summary>
public sealed record CheckpointQueryBody(int NpcId, long? Before = null) : IMessageBody, INpcMessage
{
    public static string MessageType => "checkpoint_query";

    public string? Problem() => NpcId < 0 ? $"npc_id {NpcId} is negative" : Before < 1 ? $"before {Before} is not positive" : null;
}

/// <summary>
/// The answer to a <see cref="CheckpointQueryBody"/> (<c>checkpoint_found</c>): the latest
/// checkpoint, none (both absent: a new NPC), or an error (the store is unavailable).
/// </summary>
public sealed record CheckpointFoundBody(NpcCheckpointBody? Checkpoint = null, string? Error = null) : IMessageBody
{
    public static string MessageType => "checkpoint_found";

    public string? Problem() => Checkpoint?.Problem() ?? (Checkpoint is not null && Error is not null ? "both checkpoint and error are set" : null);
}
