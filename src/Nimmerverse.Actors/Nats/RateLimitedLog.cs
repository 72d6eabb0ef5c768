using System.Collections.Concurrent;
using Akka.Event;

namespace Nimmerverse.Actors.Nats;

/// <summary>
/// Logs a problem the first time it is seen for a key, then at most once per interval with the
/// number of occurrences suppressed since: a flood of garbage costs a few log lines, not the
/// journal. Thread-safe; used from subscription loops outside any actor.
/// </summary>
public sealed class RateLimitedLog(ILoggingAdapter log, TimeSpan interval, TimeProvider? clock = null)
{
    private sealed class Slot
    {
        public long LastLoggedTicks = long.MinValue;
        public long Suppressed;
    }

    private readonly ConcurrentDictionary<string, Slot> _slots = new();
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>Logs a warning for <paramref name="key"/> unless one was logged within the interval; returns whether it logged.</summary>
    public bool Warning(string key, string template, params object[] args)
    {
        var slot = _slots.GetOrAdd(key, _ => new Slot());
        var now = _clock.GetTimestamp();
        lock (slot)
        {
            if (slot.LastLoggedTicks != long.MinValue && _clock.GetElapsedTime(slot.LastLoggedTicks, now) < interval)
            {
                slot.Suppressed++;
                return false;
            }

            var suppressed = slot.Suppressed;
            slot.Suppressed = 0;
            slot.LastLoggedTicks = now;
            log.Warning(template + " ({SuppressedSinceLast} more like it since the last report)", [.. args, suppressed]);
            return true;
        }
    }
}
