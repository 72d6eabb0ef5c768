namespace Nimmerverse.Supervisor.Lifecycle;

/// <summary>
/// The one fault the test suites inject into a real daemon, kept out of the options tree: with
/// <c>NV_FAULT_WEDGE_ACTOR_SYSTEM_AFTER</c> set (a duration), the health probe wedges the actor
/// system that long after start, so that a test can watch systemd's watchdog kill and restart it.
/// </summary>
public static class FaultInjection
{
    public const string WedgeVariable = "NV_FAULT_WEDGE_ACTOR_SYSTEM_AFTER";

    /// <summary>The wedge delay, or null (always, unless a test set the variable).</summary>
    public static TimeSpan? WedgeActorSystemAfter =>
        TimeSpan.TryParse(Environment.GetEnvironmentVariable(WedgeVariable), System.Globalization.CultureInfo.InvariantCulture, out var after) && after > TimeSpan.Zero
            ? after
            : null;
}
