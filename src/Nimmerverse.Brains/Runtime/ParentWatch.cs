using System.Globalization;

namespace Nimmerverse.Brains.Runtime;

/// <summary>
/// Ends the brain when its supervisor is gone and nothing will adopt it (<c>--parent</c>): a
/// supervisor killed without systemd would otherwise leave its brains running unsupervised, and
/// the next one would start twins. The parent is read from <c>/proc/self/stat</c> twice a second rather than
/// armed with <c>PR_SET_PDEATHSIG</c>: that signal follows the thread that forked, and .NET forks
/// from a pool thread that may retire long before the supervisor does. The brain then stops as on
/// SIGTERM (its last checkpoint is tried); if that hangs, it exits anyway after <see cref="HardExitAfter"/>.
/// </summary>
public sealed class ParentWatch : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    public static readonly TimeSpan HardExitAfter = TimeSpan.FromSeconds(10);

    private readonly int _parent;
    private readonly BrainLog _log;
    private readonly Action _stop;
    private readonly Timer _timer;
    private int _gone;

    private ParentWatch(int parent, BrainLog log, Action stop)
    {
        (_parent, _log, _stop) = (parent, log, stop);
        _timer = new Timer(_ => Check(), null, TimeSpan.Zero, Interval);
    }

    /// <summary>Watches <paramref name="parent"/>; <paramref name="stop"/> is called once when it is no longer this process's parent.</summary>
    public static ParentWatch Start(int parent, BrainLog log, Action stop) => new(parent, log, stop);

    public void Dispose() => _timer.Dispose();

    private void Check()
    {
        var now = GetParentProcessId();
        if (now == _parent || Interlocked.Exchange(ref _gone, 1) == 1)
        {
            return;
        }

        _log.Error($"the supervisor (PID {_parent}) that started this brain is gone (parent now {now}) and nothing will adopt it: stopping");
        _stop();
        _ = new Timer(_ => Environment.Exit(0), null, HardExitAfter, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The parent's PID, the fourth field of <c>/proc/self/stat</c> (after the command name in parentheses, which may hold anything).</summary>
    private static int GetParentProcessId()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[1], CultureInfo.InvariantCulture);
    }
}
