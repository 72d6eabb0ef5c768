using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Nats;

/// <summary>How the bridge treats traffic; bound from <c>Nimmerverse:Nats</c>.</summary>
/// <param name="Environment">The only environment whose subjects this process touches.</param>
/// <param name="MaxPayloadBytes">Larger messages are rejected (<see cref="RejectionReason.Oversized"/>).</param>
/// <param name="SubscriptionBuffer">
/// Messages a subscription may hold before the bridge reads them. Backpressure policy: when full,
/// NATS.Net drops the newest and the bridge counts each one (<see cref="DropReason.SubscriptionBufferFull"/>)
/// and logs it rate-limited. Waiting instead would stall the socket and get the whole connection
/// cut by the server as a slow consumer, which loses more.
/// </param>
/// <param name="RejectionLogInterval">A given rejection reason is logged at most once per interval per subscription.</param>
/// <param name="DurableStreamDuplicateWindow">How long JetStream remembers message ids to drop duplicates.</param>
/// <param name="GateStreamMaxAge">
/// How long the gate stream keeps a transition. It is the spool of the transitions on their way to
/// PostgreSQL (the governor's host records them), so it must outlast any outage worth riding out;
/// past it the stream would otherwise grow for ever.
/// </param>
public sealed record NatsBridgeSettings(
    string Environment,
    int MaxPayloadBytes = WireCodec.DefaultMaxPayloadBytes,
    int SubscriptionBuffer = NatsBridgeSettings.DefaultSubscriptionBuffer,
    TimeSpan? RejectionLogInterval = null,
    TimeSpan? DurableStreamDuplicateWindow = null,
    TimeSpan? GateStreamMaxAge = null)
{
    public static readonly TimeSpan DefaultGateStreamMaxAge = TimeSpan.FromDays(7);

    public TimeSpan EffectiveGateStreamMaxAge => GateStreamMaxAge ?? DefaultGateStreamMaxAge;

    public const int DefaultSubscriptionBuffer = 65_536;

    public static readonly TimeSpan DefaultRejectionLogInterval = TimeSpan.FromSeconds(10);

    public TimeSpan EffectiveRejectionLogInterval => RejectionLogInterval ?? DefaultRejectionLogInterval;

    public TimeSpan EffectiveDuplicateWindow => DurableStreamDuplicateWindow ?? TimeSpan.FromMinutes(2);

    /// <summary>The JetStream stream that keeps gate transitions (<c>{env}.thalamus.gate.&gt;</c>).</summary>
    public string GateStreamName => $"NIMMERVERSE_{Environment.ToUpperInvariant()}_GATES";

    public string GateStreamSubjects => $"{Environment}.thalamus.gate.>";
}
