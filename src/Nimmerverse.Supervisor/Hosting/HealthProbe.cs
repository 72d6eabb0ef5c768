using Akka.Actor;
using Akka.Hosting;
using Nimmerverse.Actors.Health;

namespace Nimmerverse.Supervisor.Hosting;

/// <summary>Round-trips a ping through the actor system; used by the watchdog and <c>/healthz</c>.</summary>
public sealed class HealthProbe(IRequiredActor<HealthProbeActor> probeActor)
{
    private long _sequence;

    /// <summary>True when the probe actor answered within <paramref name="timeout"/>.</summary>
    public async Task<bool> CheckAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var sequence = Interlocked.Increment(ref _sequence);
        try
        {
            var actor = await probeActor.GetAsync(cancellationToken).ConfigureAwait(false);
            var pong = await actor.Ask<HealthProbeMessages.Pong>(new HealthProbeMessages.Ping(sequence), timeout, cancellationToken).ConfigureAwait(false);
            return pong.Sequence == sequence;
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            return false;
        }
    }
}
