namespace Nimmerverse.Actors.Cortex;

/// <summary>Messages understood by <see cref="CortexGatewayActor"/>.</summary>
public static class CortexGatewayMessages
{
    /// <summary>Ask for the gateway's state; answered with <see cref="Status"/>.</summary>
    public sealed record GetStatus
    {
        public static readonly GetStatus Instance = new();
    }

    /// <summary>
    /// The gateway now: its breaker, its queue, what it has done since start (requests by outcome,
    /// refusals and failures by reason, lifeforce booked) and the latency of the answered calls.
    /// </summary>
    public sealed record Status(
        string Endpoint,
        string Model,
        BreakerState Breaker,
        int FailuresInARow,
        long BreakerOpenings,
        int Queued,
        int InFlight,
        long Answered,
        IReadOnlyDictionary<string, long> Refused,
        IReadOnlyDictionary<string, long> Failed,
        double LifeforceSpent,
        double? LastLatencyMs,
        double? MeanQueueMs);
}

/// <summary>The gateway's latest status, for readers outside the actor system (systemd's STATUS= line, <c>/api/status</c>); refreshed twice a second.</summary>
public sealed class CortexGauges
{
    private volatile CortexGatewayMessages.Status? _latest;

    /// <summary>Null until the gateway has reported once.</summary>
    public CortexGatewayMessages.Status? Latest => _latest;

    internal void Set(CortexGatewayMessages.Status status) => _latest = status;
}
