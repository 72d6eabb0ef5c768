using System.Collections.Concurrent;

namespace Nimmerverse.Actors.Logging;

/// <summary>
/// Decides whether a repeated problem is logged now: the first time for a key, then at most once
/// per interval, with the number held back since. A flood of one problem costs a few log lines,
/// and one kind of problem cannot hide another (each key has its own slot). Thread-safe.
/// Every rate-limited log of the supervisor goes through one of these, whatever the logger.
/// </summary>
public sealed class LogThrottle(TimeSpan interval, TimeProvider? clock = null)
{
    private sealed class Slot
    {
        public long LastLoggedTicks = long.MinValue;
        public long Suppressed;
    }

    private readonly ConcurrentDictionary<string, Slot> _slots = new();
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>True when <paramref name="key"/> may be logged now; <paramref name="suppressed"/> is how many were held back since the last time.</summary>
    public bool ShouldLog(string key, out long suppressed)
    {
        var slot = _slots.GetOrAdd(key, _ => new Slot());
        var now = _clock.GetTimestamp();
        lock (slot)
        {
            if (slot.LastLoggedTicks != long.MinValue && _clock.GetElapsedTime(slot.LastLoggedTicks, now) < interval)
            {
                slot.Suppressed++;
                suppressed = 0;
                return false;
            }

            suppressed = slot.Suppressed;
            slot.Suppressed = 0;
            slot.LastLoggedTicks = now;
            return true;
        }
    }
}
