using Akka.Actor;
using Akka.Event;
using static Nimmerverse.Actors.Health.HealthProbeMessages;

namespace Nimmerverse.Actors.Health;

/// <summary>
/// Answers pings so that the systemd watchdog and the HTTP health endpoint can prove
/// that the actor system still delivers messages and runs handlers. A watchdog ping that
/// only proved the process exists would keep a wedged actor system alive forever.
/// </summary>
public sealed class HealthProbeActor : ReceiveActor, IWithTimers
{
    private sealed record WedgeNow
    {
        public static readonly WedgeNow Instance = new();
    }

    /// <param name="wedgeAfter">
    /// Test-only fault switch (<c>NV_FAULT_WEDGE_ACTOR_SYSTEM_AFTER</c>, see the supervisor's FaultInjection): after this
    /// time the probe blocks its dispatcher thread for good, as a deadlocked actor would, so tests
    /// can prove that systemd's watchdog kills and restarts a wedged supervisor. Null in production.
    /// </param>
    public HealthProbeActor(TimeSpan? wedgeAfter)
    {
        if (wedgeAfter is { } delay)
        {
            Receive<WedgeNow>(_ => Wedge());
            _wedgeAfter = delay;
        }

        Receive<Ping>(ping => Sender.Tell(new Pong(ping.Sequence)));
    }

    private readonly TimeSpan? _wedgeAfter;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(TimeSpan? wedgeAfter = null) => Akka.Actor.Props.Create(() => new HealthProbeActor(wedgeAfter));

    protected override void PreStart()
    {
        if (_wedgeAfter is { } delay)
        {
            Timers.StartSingleTimer(nameof(WedgeNow), WedgeNow.Instance, delay);
        }
    }

    private void Wedge()
    {
        Context.GetLogger().Warning("Test fault switch: the health probe now blocks its thread forever, as a wedged actor system would");
        // Deliberately blocking: this is the fault being simulated.
        Thread.Sleep(Timeout.Infinite);
    }
}
