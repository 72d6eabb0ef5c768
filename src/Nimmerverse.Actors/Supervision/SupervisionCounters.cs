using System.Collections.Concurrent;

namespace Nimmerverse.Actors.Supervision;

/// <summary>An actor that ran out of restarts: where it was, what it last failed with, and when.</summary>
public sealed record StoppedActor(string Path, string Exception, string Message, DateTimeOffset At);

/// <summary>A moment's view of the supervision counters.</summary>
public sealed record SupervisionStats(long Restarts, IReadOnlyDictionary<string, long> RestartsByActor, IReadOnlyList<StoppedActor> Stopped);

/// <summary>
/// Restarts per actor and the actors stopped for good, fed by <see cref="SupervisionWatcherActor"/>
/// and read by the STATUS line and <c>/api/status</c>. Thread-safe.
/// </summary>
public sealed class SupervisionCounters(TimeProvider? clock = null)
{
    private readonly ConcurrentDictionary<string, long> _restarts = new();
    private readonly ConcurrentDictionary<string, StoppedActor> _stopped = new();
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    public void Record(ActorFailed failure)
    {
        if (failure.Restarting)
        {
            _restarts.AddOrUpdate(failure.Path, 1, (_, n) => n + 1);
        }
        else if (failure.GaveUp)
        {
            _stopped[failure.Path] = new StoppedActor(failure.Path, failure.Exception, failure.Message, _clock.GetUtcNow());
        }
    }

    public SupervisionStats Snapshot()
    {
        var byActor = _restarts.ToDictionary(r => r.Key, r => r.Value);
        return new SupervisionStats(byActor.Values.Sum(), byActor, [.. _stopped.Values.OrderBy(s => s.Path, StringComparer.Ordinal)]);
    }
}
