namespace Nimmerverse.Actors.Health;

/// <summary>Messages understood by <see cref="HealthProbeActor"/>.</summary>
public static class HealthProbeMessages
{
    /// <summary>Asks the probe to answer; the sequence number ties the answer to the question.</summary>
    public sealed record Ping(long Sequence);

    /// <summary>The answer to <see cref="Ping"/>, proof that a message went through a mailbox and a dispatcher thread.</summary>
    public sealed record Pong(long Sequence);
}
