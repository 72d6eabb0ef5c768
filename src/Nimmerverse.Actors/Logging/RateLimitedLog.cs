using Akka.Event;

namespace Nimmerverse.Actors.Logging;

/// <summary>
/// An actor's log for problems that can repeat (rejections, refused quotas): each key is logged
/// the first time, then at most once per interval with the number held back (<see cref="LogThrottle"/>).
/// Thread-safe; also used from subscription loops outside any actor.
/// </summary>
public sealed class RateLimitedLog(ILoggingAdapter log, TimeSpan interval, TimeProvider? clock = null)
{
    private readonly LogThrottle _throttle = new(interval, clock);

    /// <summary>Logs a warning for <paramref name="key"/> unless one was logged within the interval; returns whether it logged.</summary>
    public bool Warning(string key, string template, params object[] args)
    {
        if (!_throttle.ShouldLog(key, out var suppressed))
        {
            return false;
        }

        log.Warning(template + " ({SuppressedSinceLast} more like it since the last report)", [.. args, suppressed]);
        return true;
    }
}
