namespace Nimmerverse.Brains.Runtime;

/// <summary>
/// The brain's log: one line per event on standard error, with the syslog priority prefix
/// (<c>&lt;6&gt;</c>) that journald reads when the brain runs under systemd (the supervisor's
/// children inherit its journal stream). Repeated warnings of one kind are kept to one a minute (its own throttle: the brain references neither Akka nor the actors).
/// </summary>
public sealed class BrainLog(int npcId)
{
    private static readonly TimeSpan RepeatInterval = TimeSpan.FromMinutes(1);
    private readonly Dictionary<string, (DateTimeOffset Last, int Suppressed)> _recent = [];
    private readonly Lock _lock = new();

    public void Info(string message) => Write(6, message);

    public void Error(string message) => Write(3, message);

    /// <summary>A warning about something that cannot repeat often (each of the five kept checkpoints at most once a start).</summary>
    public void Warning(string message) => Write(4, message);

    /// <summary>A warning, at most once a minute per <paramref name="kind"/>; the count of those held back is added.</summary>
    public void Warning(string kind, string message) => Limited(4, kind, message);

    /// <summary>An event that can come every tick (the governor retunes rates every epoch): at most once a minute per <paramref name="kind"/>.</summary>
    public void InfoAtMostEveryMinute(string kind, string message) => Limited(6, kind, message);

    private void Limited(int priority, string kind, string message)
    {
        lock (_lock)
        {
            var now = DateTimeOffset.UtcNow;
            if (_recent.TryGetValue(kind, out var recent) && now - recent.Last < RepeatInterval)
            {
                _recent[kind] = (recent.Last, recent.Suppressed + 1);
                return;
            }

            _recent[kind] = (now, 0);
            Write(priority, recent.Suppressed > 0 ? $"{message} ({recent.Suppressed} more like it in the last minute)" : message);
        }
    }

    private void Write(int priority, string message) => Console.Error.WriteLine($"<{priority}>npc {npcId}: {message}");
}
