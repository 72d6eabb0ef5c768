namespace Nimmerverse.Brains.Runtime;

/// <summary>
/// The brain's licence to run (<c>--lease</c>): it lapses when the supervisor has not renewed it for its length. It
/// starts when the brain starts, so a brain that never reaches the bus stops too. Renewed from the command
/// listener, read by the tick loop.
/// </summary>
public sealed class KeeperLease(TimeSpan length, TimeProvider clock)
{
    private long _renewedAt = clock.GetTimestamp();

    public TimeSpan Length => length;

    public void Renew() => Interlocked.Exchange(ref _renewedAt, clock.GetTimestamp());

    /// <summary>Time since the last renewal (or the start).</summary>
    public TimeSpan Silence => clock.GetElapsedTime(Interlocked.Read(ref _renewedAt));

    /// <summary>Whether the lease has lapsed; says so in the log, with what it means.</summary>
    public bool HasLapsed(BrainLog log)
    {
        if (Silence <= length)
        {
            return false;
        }

        log.Error($"no supervisor renewed this brain's lease for {Silence.TotalSeconds:F1} s (lease {length.TotalSeconds} s): its supervisor is gone, cut off, or the bus is; stopping so that the NPC never runs twice");
        return true;
    }
}
