using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Nimmerverse.Supervisor.Hosting;

namespace Nimmerverse.Supervisor.Lifecycle;

/// <summary>
/// Sends WATCHDOG=1 only after a health probe went through the actor system and came back.
/// A wedged actor system therefore stops the pings, and systemd kills and restarts the
/// daemon after <c>WatchdogSec=</c>, instead of keeping a zombie that answers nothing.
/// </summary>
public sealed partial class WatchdogService(
    HealthProbe probe,
    SystemdNotifier notifier,
    ILogger<WatchdogService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = WatchdogSettings.FromEnvironment(Environment.GetEnvironmentVariable, Environment.ProcessId);
        if (settings is null || !notifier.IsEnabled)
        {
            return;
        }

        LogEnabled(settings.Timeout, settings.PingInterval);
        using var timer = new PeriodicTimer(settings.PingInterval);
        var missed = 0;
        try
        {
            do
            {
                if (await probe.CheckAsync(settings.ProbeTimeout, stoppingToken).ConfigureAwait(false))
                {
                    notifier.WatchdogPing();
                    missed = 0;
                }
                else
                {
                    missed++;
                    LogProbeMissed(settings.ProbeTimeout, missed);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "systemd watchdog enabled: timeout {WatchdogTimeout}, probing the actor system every {PingInterval}")]
    private partial void LogEnabled(TimeSpan watchdogTimeout, TimeSpan pingInterval);

    [LoggerMessage(Level = LogLevel.Error, Message = "The actor system did not answer the health probe within {ProbeTimeout} ({MissedProbes} in a row); withholding the watchdog ping")]
    private partial void LogProbeMissed(TimeSpan probeTimeout, int missedProbes);
}
