namespace Nimmerverse.Supervisor.Lifecycle;

/// <summary>
/// A part of the daemon that has something to say in systemd's STATUS= line (cluster members,
/// NATS state, NPC counts...). Each returns one short phrase, or null when it has nothing to say
/// now; the line joins them with "; ".
/// </summary>
public interface IStatusContributor
{
    /// <summary>Order in the line; lower first.</summary>
    int Order { get; }

    string? Describe();
}
