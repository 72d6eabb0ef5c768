using System.Text.Json.Serialization;
using Nimmerverse.Actors.Cortex;
using Nimmerverse.Actors.Organs;

namespace Nimmerverse.Actors.Dashboard;

/// <summary>
/// One NPC as the dashboard shows it. <see cref="TickRateHz"/> is what it was commanded,
/// <see cref="MeasuredRateHz"/> what it ticks; <see cref="CpuPercent"/> its CPU use between its last two
/// states, against <see cref="CpuQuotaPercent"/>, the governor's quota. <see cref="State"/> is
/// <c>running</c>, <c>paused</c>, <c>silent</c> (no state for a while) or the last lifecycle event that
/// ended it (<c>exited</c>, <c>oom</c>, <c>gave-up</c>).
/// </summary>
public sealed record NpcRow(
    int NpcId,
    string? Host,
    string State,
    long Tick,
    double TickRateHz,
    double MeasuredRateHz,
    double? CpuQuotaPercent,
    double? CpuPercent,
    double Lifeforce,
    int Level,
    double SuccessRate,
    double RewardRate,
    double Epsilon,
    long Episode,
    int Restarts,
    bool GateOpen,
    DateTimeOffset LastSeen);

/// <summary>A point of an NPC's learning curve.</summary>
public sealed record LearningPoint(DateTimeOffset At, double SuccessRate, double RewardRate, int Level);

/// <summary>An NPC's life as its host reported it.</summary>
public sealed record LifecycleEvent(DateTimeOffset At, int NpcId, string Host, string Event, int Restarts, string? Detail);

/// <summary>A thalamus gate now: its ternary state and its value in [-1, 1].</summary>
public sealed record GateRow(string Domain, string State, double Value, DateTimeOffset? ChangedAt);

/// <summary>A gate's threshold crossing, for the timeline.</summary>
public sealed record GateChange(DateTimeOffset At, string GateId, string Domain, string From, string To, double Value, int RoutedToTier);

/// <summary>
/// One point of the oscilloscope: a wave's confidence in its domain, from <see cref="Source"/>, of the lab's
/// <see cref="Category"/> (<c>nervous</c> for cells and nerves, <c>organs</c>, <c>cognitive</c>), which sets its colour.
/// </summary>
public sealed record WavePoint(DateTimeOffset At, string Domain, string Source, string Category, double Confidence);

/// <summary>The governor's latest epoch as its allocation told it; <see cref="TrailsPerSecond"/> over the last minute.</summary>
public sealed record GovernorView(long Epoch, string? Policy, double? Reward, int Npcs, int GatesOpen, double MeanQuotaPercent, double TrailsPerSecond, DateTimeOffset At);

/// <summary>A cluster member: its address, host, status, roles, and whether the others can reach it.</summary>
public sealed record MemberView(string Address, string Host, string Status, IReadOnlyList<string> Roles, bool Reachable);

/// <summary>
/// The cluster seen from this member: members, leader, where the singletons run (the oldest member with their role),
/// and each host's CPU in use by its NPCs' quotas against the governor's budget per host.
/// </summary>
public sealed record ClusterView(
    string Self,
    string? Leader,
    IReadOnlyList<MemberView> Members,
    IReadOnlyDictionary<string, string?> Singletons,
    IReadOnlyDictionary<string, double> HostCpuQuotaPercent,
    double HostCpuBudgetPercent);

/// <summary>The cortex and organs of this member, where it has those roles.</summary>
public sealed record UpperHalfView(CortexGatewayMessages.Status? Cortex, OrganGatewayMessages.OrgansStatus? Organs);

/// <summary>
/// What the dashboard is sent: first a <c>snapshot</c> (everything, bounded), then a <c>delta</c> per frame
/// with only what changed since the last one. Lists are bounded in both; the NPC table pages itself.
/// </summary>
public sealed record DashboardFrame(
    string Type,
    DateTimeOffset At,
    string Environment,
    string Host,
    ClusterView? Cluster,
    IReadOnlyList<NpcRow> Npcs,
    IReadOnlyList<GateRow> Gates,
    IReadOnlyList<GateChange> GateChanges,
    IReadOnlyList<WavePoint> Waves,
    GovernorView? Governor,
    IReadOnlyList<LifecycleEvent> Lifecycle,
    UpperHalfView? UpperHalf)
{
    public const string Snapshot = "snapshot";
    public const string Delta = "delta";

    /// <summary>A delta that carries nothing is not sent.</summary>
    [JsonIgnore]
    public bool IsEmpty => Cluster is null && Npcs.Count == 0 && Gates.Count == 0 && GateChanges.Count == 0 && Waves.Count == 0 && Governor is null && Lifecycle.Count == 0 && UpperHalf is null;
}

/// <summary>One NPC's page: its row, its learning curve and its recent lifecycle events.</summary>
public sealed record NpcDetail(NpcRow Npc, IReadOnlyList<LearningPoint> Curve, IReadOnlyList<LifecycleEvent> Lifecycle);

/// <summary>A page of the NPC table.</summary>
public sealed record NpcPage(int Total, int Offset, IReadOnlyList<NpcRow> Npcs);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DashboardFrame))]
[JsonSerializable(typeof(NpcDetail))]
[JsonSerializable(typeof(NpcPage))]
[JsonSerializable(typeof(IReadOnlyList<GateRow>))]
[JsonSerializable(typeof(ClusterView))]
[JsonSerializable(typeof(UpperHalfView))]
[JsonSerializable(typeof(IReadOnlyList<LearningPoint>))]
public sealed partial class DashboardJsonContext : JsonSerializerContext;
