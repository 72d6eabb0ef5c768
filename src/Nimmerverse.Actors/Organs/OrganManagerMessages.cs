using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Organs;

/// <summary>An organ's lifecycle state.</summary>
public enum OrganState
{
    Idle,
    Loading,
    Ready,
    Processing,
    Unloading,
}

/// <summary>
/// Ask an organ for something: <paramref name="Work"/> runs against the loaded organ's client once
/// it is this call's turn; the sender gets <see cref="OrganAnswered"/> or <see cref="OrganCallFailed"/>.
/// A call still waiting after <paramref name="Timeout"/> is dropped (its requester has gone).
/// </summary>
public sealed record OrganCall(string Organ, Func<OrganClient, CancellationToken, Task<object>> Work, TimeSpan Timeout)
{
    public Guid Id { get; init; } = Guid.NewGuid();
}

/// <summary>The organ answered: its result, the time waited (queue and load) and the time it worked, the load time when this call waited for a load, and the card it ran on.</summary>
public sealed record OrganAnswered(Guid CallId, string Organ, object Result, TimeSpan Waited, TimeSpan Worked, TimeSpan? LoadTime, string Card);

/// <summary>The call got no answer: <paramref name="Reason"/> is one of <see cref="OrganReasons"/> (<c>invalid_request</c> for an organ that does not exist, <c>timeout</c>, <c>organ_failed</c>, <c>load_failed</c>, <c>input_refused</c>), <paramref name="Detail"/> a sentence.</summary>
public sealed record OrganCallFailed(Guid CallId, string Organ, string Reason, string Detail);

/// <summary>Published on the event stream at each lifecycle step of an organ.</summary>
public sealed record OrganStateChanged(string Organ, OrganState State, string? Card, int? Pid, TimeSpan? LoadTime, string? Reason);

/// <summary>Load an organ before anything asks for it (its gate is rising).</summary>
public sealed record PrewarmOrgan(string Organ);
