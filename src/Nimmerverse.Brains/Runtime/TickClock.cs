using System.Diagnostics;

namespace Nimmerverse.Brains.Runtime;

/// <summary>
/// A drift-free tick schedule: tick n is due at anchor + n x period (the first at once), so the time a tick takes
/// never shifts the ones after it. A tick that comes due late reports its lag; ticks missed
/// entirely are skipped, not run in a burst. A rate change wakes a waiting <see cref="WaitAsync"/>
/// and takes effect from the next tick, which comes one new period after the last one (at once if
/// that has passed): the governor re-sends a rate every epoch, and a clock that restarted its
/// period at each command would postpone every tick slower than the epoch (250 NPCs under
/// <c>./nimmerverse up</c> achieved 0.72 of their rates that way).
/// </summary>
public sealed class TickClock
{
    private readonly Lock _lock = new();
    private long _anchor;
    private long _periodTicks;
    private long _index = -1;
    private long? _lastDue;
    private CancellationTokenSource _wake = new();

    public TickClock(double rateHz)
    {
        _periodTicks = PeriodOf(rateHz);
        RateHz = rateHz;
        _anchor = Stopwatch.GetTimestamp();
    }

    public double RateHz { get; private set; }

    /// <summary>Ticks skipped because the process fell more than a whole period behind.</summary>
    public long Skipped { get; private set; }

    /// <summary>Changes the rate; the next tick comes one new period after the last (before any tick: at once).</summary>
    public void SetRate(double rateHz)
    {
        CancellationTokenSource wake;
        lock (_lock)
        {
            RateHz = rateHz;
            _periodTicks = PeriodOf(rateHz);
            if (_lastDue is { } last)
            {
                // Due one new period after the last tick, or now if that has passed (not a skipped tick:
                // no tick of the new rate was ever due before the change).
                (_anchor, _index) = (Math.Max(last, Stopwatch.GetTimestamp() - _periodTicks), 0);
            }

            wake = _wake;
            _wake = new CancellationTokenSource();
        }

        wake.Cancel();
    }

    /// <summary>Waits for the next tick; returns how late it came, in milliseconds.</summary>
    public async Task<double> WaitAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            long due;
            CancellationToken wake;
            lock (_lock)
            {
                _index++;
                due = _anchor + (_index * _periodTicks);
                var now = Stopwatch.GetTimestamp();
                if (now - due >= _periodTicks)
                {
                    // More than a period behind: skip to the latest tick that is due.
                    var behind = (now - due) / _periodTicks;
                    Skipped += behind;
                    _index += behind;
                    due += behind * _periodTicks;
                }

                wake = _wake.Token;
            }

            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero)
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, wake);
                try
                {
                    await Task.Delay(wait, linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    continue; // the rate changed: wait for the first tick of the new schedule
                }
            }

            lock (_lock)
            {
                _lastDue = due;
            }

            return Math.Max(0, Stopwatch.GetElapsedTime(due).TotalMilliseconds);
        }
    }

    private static long PeriodOf(double rateHz) => (long)(Stopwatch.Frequency / rateHz);
}

/// <summary>The rate ticks really came at, over about the last second.</summary>
public sealed class RateMeter
{
    private readonly long[] _stamps = new long[64];
    private int _count;
    private int _next;

    public void Tick()
    {
        _stamps[_next] = Stopwatch.GetTimestamp();
        _next = (_next + 1) % _stamps.Length;
        _count = Math.Min(_count + 1, _stamps.Length);
    }

    /// <summary>Ticks per second over the recent ones (at most the last second's, at least two ticks), or 0 before two ticks.</summary>
    public double RateHz(double nominalHz)
    {
        if (_count < 2)
        {
            return 0;
        }

        var span = Math.Clamp((int)Math.Round(nominalHz), 1, _count - 1);
        var newest = _stamps[(_next - 1 + _stamps.Length) % _stamps.Length];
        var oldest = _stamps[(_next - 1 - span + (2 * _stamps.Length)) % _stamps.Length];
        var seconds = Stopwatch.GetElapsedTime(oldest, newest).TotalSeconds;
        return seconds > 0 ? span / seconds : 0;
    }
}
