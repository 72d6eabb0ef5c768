namespace Nimmerverse.Supervisor.Lifecycle;

/// <summary>
/// The watchdog systemd asked for (<c>$WATCHDOG_USEC</c>, meant for us when <c>$WATCHDOG_PID</c>
/// is unset or our PID), or null when there is none.
/// </summary>
public sealed record WatchdogSettings(TimeSpan Timeout)
{
    /// <summary>Ping at a third of the timeout, so one slow probe does not cost the process its life.</summary>
    public TimeSpan PingInterval => Timeout / 3;

    /// <summary>How long a health probe may take before the ping for that round is withheld.</summary>
    public TimeSpan ProbeTimeout => Timeout / 4;

    public static WatchdogSettings? FromEnvironment(Func<string, string?> getVariable, int processId)
    {
        if (!long.TryParse(getVariable("WATCHDOG_USEC"), out var microseconds) || microseconds <= 0)
        {
            return null;
        }

        var forPid = getVariable("WATCHDOG_PID");
        if (!string.IsNullOrEmpty(forPid) && (!int.TryParse(forPid, out var pid) || pid != processId))
        {
            return null;
        }

        return new WatchdogSettings(TimeSpan.FromMicroseconds(microseconds));
    }
}
