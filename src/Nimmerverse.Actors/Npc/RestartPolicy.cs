namespace Nimmerverse.Actors.Npc;

/// <summary>
/// When to start a crashed brain again, Erlang/OTP style: exponential backoff with jitter (the
/// first delay doubling up to a maximum, each varied by ±20 % so that brains that crashed together
/// do not come back together), and an intensity limit: more than <c>maxRestarts</c> restarts within
/// <c>window</c> and the policy gives up, so a brain that cannot live stops burning the host.
/// </summary>
public sealed class RestartPolicy(TimeSpan firstDelay, TimeSpan maxDelay, int maxRestarts, TimeSpan window, Random random)
{
    public const double JitterShare = 0.2;

    private readonly Queue<DateTimeOffset> _restarts = new();

    /// <summary>Restarts within the window as of the last <see cref="NextDelay"/>.</summary>
    public int RecentRestarts => _restarts.Count;

    /// <summary>The wait before the next start after a crash at <paramref name="now"/>, or null to give up.</summary>
    public TimeSpan? NextDelay(DateTimeOffset now)
    {
        while (_restarts.TryPeek(out var at) && now - at > window)
        {
            _restarts.Dequeue();
        }

        if (_restarts.Count >= maxRestarts)
        {
            return null;
        }

        _restarts.Enqueue(now);
        var doublings = Math.Min(_restarts.Count - 1, 30);
        var delay = Math.Min(maxDelay.Ticks, firstDelay.Ticks * (1L << doublings));
        var jitter = 1 + (((random.NextDouble() * 2) - 1) * JitterShare);
        return TimeSpan.FromTicks((long)(delay * jitter));
    }
}
