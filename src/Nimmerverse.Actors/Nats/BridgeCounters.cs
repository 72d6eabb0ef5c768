using System.Collections.Concurrent;
using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Nats;

/// <summary>Why a message that reached the process was not delivered to an actor.</summary>
public enum DropReason
{
    /// <summary>A subscription's buffer was full (the bridge fell behind); NATS.Net dropped the newest.</summary>
    SubscriptionBufferFull,

    /// <summary>A publish could not be written (disconnected past the publish timeout, or the connection failed).</summary>
    PublishFailed,

    /// <summary>A durable (JetStream) publish was not acknowledged.</summary>
    DurablePublishFailed,
}

/// <summary>A moment's view of the bridge's counters.</summary>
public sealed record BridgeStats(
    long Received,
    long Delivered,
    long Published,
    long DurablePublished,
    long DurableDuplicates,
    long Disconnects,
    long Reconnects,
    IReadOnlyDictionary<RejectionReason, long> Rejected,
    IReadOnlyDictionary<DropReason, long> Dropped,
    IReadOnlyDictionary<string, long> PermissionViolations)
{
    public long RejectedTotal => Rejected.Values.Sum();

    public long DroppedTotal => Dropped.Values.Sum();

    public long PermissionViolationsTotal => PermissionViolations.Values.Sum();
}

/// <summary>
/// The bridge's counters, shared by its subscription loops, its publish continuations and the
/// status line. Every message that enters is either delivered or counted under a reason.
/// </summary>
public sealed class BridgeCounters
{
    private readonly ConcurrentDictionary<RejectionReason, long> _rejected = new();
    private readonly ConcurrentDictionary<DropReason, long> _dropped = new();
    private readonly ConcurrentDictionary<string, long> _permissionViolations = new(StringComparer.Ordinal);
    private long _received;
    private long _delivered;
    private long _published;
    private long _durablePublished;
    private long _durableDuplicates;
    private long _disconnects;
    private long _reconnects;

    public void Received() => Interlocked.Increment(ref _received);

    public void Delivered() => Interlocked.Increment(ref _delivered);

    public void Published() => Interlocked.Increment(ref _published);

    public void DurablePublished(bool duplicate)
    {
        Interlocked.Increment(ref _durablePublished);
        if (duplicate)
        {
            Interlocked.Increment(ref _durableDuplicates);
        }
    }

    public void Disconnected() => Interlocked.Increment(ref _disconnects);

    public void Reconnected() => Interlocked.Increment(ref _reconnects);

    public void Rejected(RejectionReason reason) => _rejected.AddOrUpdate(reason, 1, (_, n) => n + 1);

    public void Dropped(DropReason reason) => _dropped.AddOrUpdate(reason, 1, (_, n) => n + 1);

    /// <summary>Publishes or subscriptions the server refused <paramref name="identity"/> (<c>supervisor</c>, <c>npc-3</c>).</summary>
    public void PermissionViolations(string identity, long count) => _permissionViolations.AddOrUpdate(identity, count, (_, n) => n + count);

    public BridgeStats Snapshot() => new(
        Interlocked.Read(ref _received),
        Interlocked.Read(ref _delivered),
        Interlocked.Read(ref _published),
        Interlocked.Read(ref _durablePublished),
        Interlocked.Read(ref _durableDuplicates),
        Interlocked.Read(ref _disconnects),
        Interlocked.Read(ref _reconnects),
        new Dictionary<RejectionReason, long>(_rejected),
        new Dictionary<DropReason, long>(_dropped),
        new Dictionary<string, long>(_permissionViolations, StringComparer.Ordinal));
}
