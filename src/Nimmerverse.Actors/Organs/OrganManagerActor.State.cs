using Akka.Actor;

namespace Nimmerverse.Actors.Organs;

/// <summary>What the manager keeps per organ and per call, and the messages it sends itself.</summary>
public sealed partial class OrganManagerActor
{
    private sealed class OrganSlot(string organ)
    {
        public string Organ { get; } = organ;

        public OrganState State { get; set; } = OrganState.Idle;

        public string? Card { get; set; }

        public OrganProcess? Process { get; set; }

        public CancellationTokenSource? LoadCancellation { get; set; }

        public TimeSpan? LoadTime { get; set; }

        public long LoadedAt { get; set; }

        /// <summary>When it last answered (or loaded): idleness counts from here.</summary>
        public long LastReply { get; set; }

        /// <summary>Loaded ahead of any call: not cancelled for want of callers.</summary>
        public bool Prewarmed { get; set; }

        /// <summary>Deaths in a row, without an answer between them.</summary>
        public int Crashes { get; set; }

        public DateTimeOffset BackoffUntil { get; set; }

        public long LastHealthCheck { get; set; }

        public bool HealthCheckInFlight { get; set; }

        /// <summary>Killed for failing its health check: its death says so.</summary>
        public bool Unhealthy { get; set; }
    }

    private sealed record PendingCall(OrganCall Call, IActorRef ReplyTo, long Arrived);

    private sealed record CallExpired(Guid CallId);

    private sealed record LoadEnded(string Organ, string Card, OrganProcess? Process, TimeSpan LoadTime, string? Problem, bool Cancelled = false);

    private sealed record UnloadEnded(string Organ, OrganProcess Process, bool FreesCard);

    private sealed record CallServed(Guid CallId, string Card, OrganProcess Process, object? Result, Exception? Problem, TimeSpan Waited, TimeSpan Worked, TimeSpan? LoadTime);

    private sealed record OrganDied(string Organ, OrganProcess Process, int ExitCode);

    private sealed class IdleCheck
    {
        public static readonly IdleCheck Instance = new();
    }

    private sealed class PumpNow
    {
        public static readonly PumpNow Instance = new();
    }
}
