namespace Nimmerverse.Actors.Cortex;

/// <summary>The breaker's states, as shown in the status (<c>closed</c>, <c>open</c>, <c>half-open</c>).</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<BreakerState>))]
public enum BreakerState
{
    [System.Text.Json.Serialization.JsonStringEnumMemberName("closed")]
    Closed,

    [System.Text.Json.Serialization.JsonStringEnumMemberName("open")]
    Open,

    [System.Text.Json.Serialization.JsonStringEnumMemberName("half-open")]
    HalfOpen,
}

/// <summary>
/// The gateway's circuit breaker: after <c>failuresToOpen</c> endpoint failures in a row it opens
/// and refuses for <c>openFor</c>; then one probe call may go (half-open): its success closes it,
/// its failure opens it again. Akka's <c>CircuitBreaker</c> fails every call but the probe while
/// half-open; here the gateway keeps the others queued until the probe has spoken, so this one
/// only says whether a call may start. Not thread-safe: the gateway actor alone uses it.
/// </summary>
public sealed class CortexBreaker(int failuresToOpen, TimeSpan openFor, TimeProvider clock)
{
    private long _openedAt;
    private bool _probing;

    public BreakerState State { get; private set; } = BreakerState.Closed;

    public int FailuresInARow { get; private set; }

    /// <summary>How often it opened since start.</summary>
    public long Openings { get; private set; }

    /// <summary>Whether requests are refused at the door (open, its time not yet over).</summary>
    public bool Refusing => State == BreakerState.Open && clock.GetElapsedTime(_openedAt) < openFor;

    /// <summary>The time left before a probe may go, while open.</summary>
    public TimeSpan OpenFor => State == BreakerState.Open ? openFor - clock.GetElapsedTime(_openedAt) : TimeSpan.Zero;

    /// <summary>Whether a call may start now; a call allowed while half-open is the probe.</summary>
    public bool TryStart()
    {
        if (State == BreakerState.Open && !Refusing)
        {
            State = BreakerState.HalfOpen;
        }

        switch (State)
        {
            case BreakerState.Closed:
                return true;
            case BreakerState.HalfOpen when !_probing:
                _probing = true;
                return true;
            default:
                return false;
        }
    }

    public void Succeeded()
    {
        (State, FailuresInARow, _probing) = (BreakerState.Closed, 0, false);
    }

    /// <returns>Whether this failure opened the breaker.</returns>
    public bool Failed()
    {
        FailuresInARow++;
        var wasProbe = _probing;
        _probing = false;
        if (State == BreakerState.Open || (!wasProbe && FailuresInARow < failuresToOpen))
        {
            return false;
        }

        (State, _openedAt) = (BreakerState.Open, clock.GetTimestamp());
        Openings++;
        return true;
    }

    /// <summary>A call ended without saying anything about the endpoint (cancelled by its deadline before it was sent...).</summary>
    public void Abandoned() => _probing = false;
}
