namespace Nimmerverse.Actors.Npc.Placement;

/// <summary>Messages between each member's <see cref="NpcHostActor"/> and the cluster's one <see cref="NpcPlacementActor"/>.</summary>
public static class PlacementMessages
{
    /// <summary>
    /// A host's report, every <see cref="NpcPlacementActor.ReportInterval"/>: its capacity (<c>Npc:Population</c>) and
    /// every NPC whose brain it runs, stopping ones included (they still run). Answered with <see cref="RunSet"/>.
    /// </summary>
    public sealed record HostReport(string Host, int Capacity, IReadOnlyList<int> Running);

    // What crosses the cluster is serialized by Akka's JSON serializer: lists are arrays, never the compiler's
    // collection-expression types, which it cannot build again on the other side.

    /// <summary>The NPCs this host is to run now: it starts the missing ones and stops (with their checkpoints) the others.</summary>
    public sealed record RunSet(IReadOnlyList<int> NpcIds);

    /// <summary>Asks for <see cref="PlacementView"/>.</summary>
    public sealed record GetPlacement
    {
        public static readonly GetPlacement Instance = new();
    }

    /// <summary>Where each NPC belongs, what each host reported, the NPCs no host has room for, and the hosts whose brains are fenced (lost, may still run) until when.</summary>
    public sealed record PlacementView(
        IReadOnlyDictionary<int, string> Targets,
        IReadOnlyDictionary<string, IReadOnlyList<int>> Running,
        IReadOnlyList<int> Unplaced,
        IReadOnlyDictionary<string, DateTimeOffset> FencedUntil);

    /// <summary>
    /// On the event stream: whether this member still sees a majority of the cluster. A member that does not stops
    /// renewing its brains' leases (they stop themselves), as the majority will down it and start its NPCs elsewhere.
    /// </summary>
    public sealed record ClusterStanding(bool InMajority);
}
