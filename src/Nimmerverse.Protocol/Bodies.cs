using System.Text.Json;
using System.Text.Json.Serialization;

namespace Nimmerverse.Protocol;

/// <summary>A confidence-tagged signal from a cell (<c>wave</c>).</summary>
public sealed record WaveBody(string Domain, double Confidence, JsonElement Content, double LifeforceCost) : IMessageBody
{
    public static string MessageType => "wave";

    public string? Problem() => Checks.First(
        Checks.NotEmpty("domain", Domain),
        Checks.InRange("confidence", Confidence, 0, 1),
        Content.ValueKind != JsonValueKind.Object ? $"content is {Content.ValueKind.ToString().ToLowerInvariant()}, not an object" : Checks.Json("content", Content),
        Checks.InRange("lifeforce_cost", LifeforceCost, 0, double.MaxValue));
}

/// <summary>The three states of a thalamus gate.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<GateState>))]
public enum GateState
{
    [JsonStringEnumMemberName("CLOSED")]
    Closed,

    [JsonStringEnumMemberName("STABLE")]
    Stable,

    [JsonStringEnumMemberName("OPEN")]
    Open,
}

/// <summary>A gate crossing a threshold (<c>gate_transition</c>), with the waves that pushed it.</summary>
public sealed record GateTransitionBody(
    string GateId,
    string Domain,
    GateState FromState,
    GateState ToState,
    double StateValue,
    double CorrelationScore,
    IReadOnlyList<Guid> TriggerWaves,
    int RoutedToTier) : IMessageBody
{
    public static string MessageType => "gate_transition";

    public string? Problem() => Checks.First(
        Checks.NotEmpty("gate_id", GateId),
        Checks.NotEmpty("domain", Domain),
        Checks.InRange("state_value", StateValue, -1, 1),
        Checks.InRange("correlation_score", CorrelationScore, -1, 1),
        !Tiers.IsValid(RoutedToTier) ? $"routed_to_tier {RoutedToTier} is outside 0..{Tiers.Max}" : null,
        Checks.AtMostItems("trigger_waves", TriggerWaves));
}

/// <summary>
/// A request to a cell (<c>cell_request</c>). The math cell takes <c>add</c>, <c>sub</c>,
/// <c>mul</c>, <c>div</c> over its operands; other cells name their own operations.
/// </summary>
public sealed record CellRequestBody(string Operation, IReadOnlyList<double> Operands) : IMessageBody
{
    public const int MaxOperands = Checks.MaxItems;

    public static string MessageType => "cell_request";

    public string? Problem()
    {
        if (Checks.NotEmpty("operation", Operation) is { } empty)
        {
            return empty;
        }

        if (Operands.Count > MaxOperands)
        {
            return $"operands has {Operands.Count} numbers; at most {MaxOperands}";
        }

        for (var i = 0; i < Operands.Count; i++)
        {
            if (!double.IsFinite(Operands[i]))
            {
                return $"operands[{i}] is not a finite number";
            }
        }

        return null;
    }
}

/// <summary>A cell's answer (<c>cell_response</c>): a result, or an error saying why there is none.</summary>
public sealed record CellResponseBody(double? Result = null, string? Error = null) : IMessageBody
{
    public static string MessageType => "cell_response";

    public static CellResponseBody Success(double result) => new(result, null);

    public static CellResponseBody Failure(string error) => new(null, error);

    public string? Problem() => (Result, Error) switch
    {
        (null, null) => "neither result nor error is set",
        ({ } r, _) when !double.IsFinite(r) => "result is not a finite number",
        ({ }, { }) => "both result and error are set",
        _ => null,
    };
}

/// <summary>
/// An NPC brain's state, published every tick (<c>npc_state</c>). <see cref="SuccessRate"/> is over
/// the recent episodes at the current level, <see cref="SuccessErrands"/> of them (null from a brain that
/// does not say), <see cref="RewardRate"/> the reward per second over the recent ticks,
/// <see cref="CpuMs"/> the process's CPU time so far; <see cref="CheckpointSequence"/> is the last
/// checkpoint the supervisor acknowledged (0: none yet). <see cref="QuizPassed"/>: whether the latest quiz
/// round this brain took at the current level found every home, in this process or before the checkpoint it restored
/// (null: none yet, or a brain that does not say). <see cref="InWorld"/>: whether the brain has had its first observation
/// of the world; until it has, <see cref="Node"/>, <see cref="Level"/> and <see cref="Lifeforce"/> are not known and read 0
/// (null: a brain that does not say).
/// </summary>
public sealed record NpcStateBody(
    int NpcId,
    long Tick,
    double TickRateHz,
    double MeasuredRateHz,
    double TickLagMs,
    int Node,
    long Episode,
    double SuccessRate,
    double RewardRate,
    double Loss,
    double Lifeforce,
    double CpuMs,
    bool Paused = false,
    int Level = 0,
    long Steps = 0,
    double Epsilon = 0,
    long CheckpointSequence = 0,
    long PermissionViolations = 0,
    long CortexAsked = 0,
    long CortexFollowed = 0,
    string? Role = null,
    int? SuccessErrands = null,
    bool? QuizPassed = null,
    bool? InWorld = null) : IMessageBody, INpcMessage
{
    /// <summary>The most episodes <see cref="SuccessRate"/> is over: a brain's last this many at its level.</summary>
    public const int SuccessWindow = 50;

    public static string MessageType => "npc_state";

    public string? Problem() => Checks.First(
        NpcId < 0 ? $"npc_id {NpcId} is negative" : null,
        Tick < 0 ? $"tick {Tick} is negative" : null,
        Checks.InRange("tick_rate_hz", TickRateHz, 0, 1000),
        Checks.InRange("measured_rate_hz", MeasuredRateHz, 0, 1000),
        Checks.InRange("tick_lag_ms", TickLagMs, 0, double.MaxValue),
        Node < 0 ? $"node {Node} is negative" : null,
        Episode < 0 ? $"episode {Episode} is negative" : null,
        Checks.InRange("success_rate", SuccessRate, 0, 1),
        Checks.Finite("reward_rate", RewardRate),
        Checks.Finite("loss", Loss),
        Checks.Finite("lifeforce", Lifeforce),
        Checks.InRange("cpu_ms", CpuMs, 0, double.MaxValue),
        Level < 0 ? $"level {Level} is negative" : null,
        Steps < 0 ? $"steps {Steps} is negative" : null,
        Checks.InRange("epsilon", Epsilon, 0, 1),
        CheckpointSequence < 0 ? $"checkpoint_sequence {CheckpointSequence} is negative" : null,
        PermissionViolations < 0 ? $"permission_violations {PermissionViolations} is negative" : null,
        CortexAsked < 0 || CortexFollowed < 0 ? "cortex_asked and cortex_followed must not be negative" : null,
        SuccessErrands < 0 ? $"success_errands {SuccessErrands} is negative" : null);
}

/// <summary>A command to one NPC (<c>npc_command</c>): <c>set_tick_rate</c> (with <see cref="TickRateHz"/>), <c>pause</c>, <c>resume</c>, <c>checkpoint</c>, <c>stop</c>, <c>renew_lease</c>.</summary>
public sealed record NpcCommandBody(string Command, double? TickRateHz = null) : IMessageBody
{
    public static readonly IReadOnlySet<string> Commands = new HashSet<string>(StringComparer.Ordinal) { "set_tick_rate", "pause", "resume", "checkpoint", "stop", RenewLease };

    /// <summary>The supervisor still keeps this brain: it may run for its lease (<c>--lease</c>) from now.</summary>
    public const string RenewLease = "renew_lease";

    public static string MessageType => "npc_command";

    public string? Problem() => (Command, TickRateHz) switch
    {
        _ when !Commands.Contains(Command) => $"command '{Command}' is not one of {string.Join(", ", Commands)}",
        ("set_tick_rate", null) => "set_tick_rate needs tick_rate_hz",
        ("set_tick_rate", { } rate) => Checks.InRange("tick_rate_hz", rate, 1, 20),
        _ => null,
    };
}

/// <summary>
/// A command to one nerve (<c>nerve_command</c>, on <c>{env}.nervous.nerves.{nerve}.command</c>), as the cortex
/// sends them down: <c>pause</c> (for <see cref="DurationMs"/>, default 30 s) or <c>resume</c>.
/// </summary>
public sealed record NerveCommandBody(string Command, int? DurationMs = null) : IMessageBody
{
    public const int DefaultPauseMs = 30_000;

    public static readonly IReadOnlySet<string> Commands = new HashSet<string>(StringComparer.Ordinal) { "pause", "resume" };

    public static string MessageType => "nerve_command";

    public string? Problem() => Checks.First(
        !Commands.Contains(Command) ? $"command '{Command}' is not one of {string.Join(", ", Commands)}" : null,
        DurationMs is < 1 or > 600_000 ? $"duration_ms {DurationMs} is outside 1..600000" : null,
        Command == "resume" && DurationMs is not null ? "resume takes no duration_ms" : null);
}

/// <summary>
/// A brain process's life as its host saw it (<c>npc_lifecycle</c>, on <c>{env}.supervisor.{host}.npc</c>):
/// <c>spawned</c>, <c>exited</c> (with its exit code or signal), <c>restarted</c>, <c>oom</c>,
/// <c>gave-up</c> (too many restarts in the window), <c>adopted</c> (found running after a supervisor restart) or
/// <c>retired</c> (its lifetime over, <c>Npc:Lifetime</c>: a newcomer takes the NPC's place, learning from nothing).
/// </summary>
public sealed record NpcLifecycleBody(
    int NpcId,
    string Event,
    int? Pid = null,
    int? ExitCode = null,
    int? Signal = null,
    int Restarts = 0,
    string? Unit = null,
    string? Detail = null) : IMessageBody
{
    public static readonly IReadOnlySet<string> Events = new HashSet<string>(StringComparer.Ordinal) { "spawned", "exited", "restarted", "oom", "gave-up", "adopted", "retired" };

    public static string MessageType => "npc_lifecycle";

    public string? Problem() => Checks.First(
        NpcId < 0 ? $"npc_id {NpcId} is negative" : null,
        !Events.Contains(Event) ? $"event '{Event}' is not one of {string.Join(", ", Events)}" : null,
        Pid <= 0 ? $"pid {Pid} is not positive" : null,
        Signal is < 1 or > 64 ? $"signal {Signal} is outside 1..64" : null,
        Restarts < 0 ? $"restarts {Restarts} is negative" : null,
        Checks.Printable("unit", Unit),
        Checks.Printable("detail", Detail));
}

/// <summary>What the governor gives one NPC for the coming epoch.</summary>
public sealed record NpcAllocation(int NpcId, double TickRateHz, double CpuQuotaPercent, bool GateOpen, int LlmPriority)
{
    public string? Problem() => Checks.First(
        NpcId < 0 ? $"npc_id {NpcId} is negative" : null,
        Checks.InRange("tick_rate_hz", TickRateHz, 1, 20),
        Checks.InRange("cpu_quota_percent", CpuQuotaPercent, 5, 100),
        LlmPriority is < 0 or > 10 ? $"llm_priority {LlmPriority} is outside 0..10" : null);
}

/// <summary>
/// The governor's allocation for one epoch (<c>allocation</c>): the NPCs it decided for, the policy that decided
/// (<c>learned</c>, <c>rule</c>...) and the organism's reward for the epoch before, which the policy learns from.
/// </summary>
public sealed record AllocationBody(long Epoch, IReadOnlyList<NpcAllocation> Npcs, string? Policy = null, double? Reward = null) : IMessageBody
{
    public static string MessageType => "allocation";

    /// <summary>The most NPCs one allocation names (a village of thousands is split by host long before this).</summary>
    public const int MaxNpcs = 10_000;

    public string? Problem() => Epoch < 0
        ? $"epoch {Epoch} is negative"
        : Checks.Printable("policy", Policy) ?? (Reward is { } reward ? Checks.Finite("reward", reward) : null) ?? Checks.AtMostItems("npcs", Npcs, MaxNpcs)
            ?? Npcs.Select((npc, i) => npc is null ? $"npcs[{i}] is null" : npc.Problem() is { } problem ? $"npcs[{i}]: {problem}" : null).FirstOrDefault(p => p is not null);
}

/// <summary>
/// The answer to a request that was refused before any actor saw it (<c>rejected</c>): the reason, as
/// counted (<c>malformed_json</c>, <c>invalid_body</c>, <c>subject_mismatch</c>...), and a short detail. Sent to
/// the request's reply subject, with the request's message id as correlation id when it could be read,
/// so that a requester hears at once why instead of waiting for its timeout.
/// </summary>
public sealed record RejectedBody(string Reason, string Detail) : IMessageBody
{
    public static string MessageType => "rejected";

    public string? Problem() => Checks.First(Checks.NotEmpty("reason", Reason), Checks.Printable("detail", Detail));
}
