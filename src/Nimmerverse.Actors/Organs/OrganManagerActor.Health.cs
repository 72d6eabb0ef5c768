using Akka.Actor;
using Akka.Event;

namespace Nimmerverse.Actors.Organs;

/// <summary>
/// Health checks of the loaded organs between calls: a ready organ whose <c>/health</c> does not
/// answer in time is killed, and its death is a crash like any other (the card emptied, the organ
/// loaded again when next needed, after its backoff). A call in flight has its own watchdog, the
/// processing timeout.
/// </summary>
public sealed partial class OrganManagerActor
{
    private sealed record HealthChecked(string Organ, OrganProcess Process, bool Healthy);

    /// <summary>Asks each ready organ not asked within <see cref="OrganManagerSettings.HealthCheckInterval"/>.</summary>
    private void CheckHealth()
    {
        var timeout = TimeSpan.FromTicks(Math.Min(_settings.HealthCheckInterval.Ticks, TimeSpan.FromSeconds(5).Ticks));
        foreach (var slot in _slots.Values.Where(s => s is { State: OrganState.Ready, Process: not null, HealthCheckInFlight: false }))
        {
            if (_clock.GetElapsedTime(slot.LastHealthCheck) < _settings.HealthCheckInterval)
            {
                continue;
            }

            (slot.HealthCheckInFlight, slot.LastHealthCheck) = (true, _clock.GetTimestamp());
            var (self, organ, process) = (Self, slot.Organ, slot.Process!);
            Task.Run(async () =>
            {
                using var deadline = new CancellationTokenSource(timeout);
                try
                {
                    return new HealthChecked(organ, process, await process.Client.HealthyAsync(deadline.Token).ConfigureAwait(false));
                }
                catch (OperationCanceledException)
                {
                    return new HealthChecked(organ, process, false);
                }
            }).PipeTo(self);
        }
    }

    private void OnHealthChecked(HealthChecked check)
    {
        var slot = _slots[check.Organ];
        slot.HealthCheckInFlight = false;
        if (check.Healthy || slot.Process != check.Process || slot.State != OrganState.Ready)
        {
            return;
        }

        _log.Warning("The {0} organ (process {1}) did not answer its health check; killing it", check.Organ, check.Process.Pid);
        slot.Unhealthy = true;
        _ = check.Process.StopAsync(TimeSpan.Zero); // its exit is reported as a death, and handled as one
    }
}
