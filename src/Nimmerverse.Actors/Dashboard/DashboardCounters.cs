namespace Nimmerverse.Actors.Dashboard;

/// <summary>The feed's figures for <c>/metrics</c> and the status: written by the feed actor alone, read from anywhere.</summary>
public sealed class DashboardCounters
{
    private int _watchers;
    private int _listening;
    private long _frames;
    private long _frameBytes;
    private long _dropped;

    public int WatchersNow => Volatile.Read(ref _watchers);

    /// <summary>Whether the feed subscribes to NATS and the cluster now.</summary>
    public bool Listening => Volatile.Read(ref _listening) == 1;

    public long Frames => Interlocked.Read(ref _frames);

    public long FrameBytes => Interlocked.Read(ref _frameBytes);

    /// <summary>Watchers dropped for falling behind.</summary>
    public long WatchersDropped => Interlocked.Read(ref _dropped);

    internal void Watchers(int count, bool warm)
    {
        Volatile.Write(ref _watchers, count);
        Volatile.Write(ref _listening, warm ? 1 : 0);
    }

    internal void Frame(int bytes)
    {
        Interlocked.Increment(ref _frames);
        Interlocked.Add(ref _frameBytes, bytes);
    }

    internal void Dropped() => Interlocked.Increment(ref _dropped);
}
