using System.Threading.Channels;

namespace Nimmerverse.Actors.Dashboard;

/// <summary>Messages understood by <see cref="DashboardFeedActor"/>.</summary>
public static class DashboardMessages
{
    /// <summary>
    /// A watcher (a browser's event stream) wants the snapshot, then a delta per frame, as JSON text written to
    /// <paramref name="Watcher"/> (bounded: a watcher that falls behind is completed with an error). Answered with
    /// <see cref="Watching"/> or <see cref="Refused"/>.
    /// </summary>
    public sealed record Watch(ChannelWriter<string> Watcher);

    /// <summary>The watcher has gone (its connection closed).</summary>
    public sealed record Unwatch(ChannelWriter<string> Watcher);

    public sealed record Watching
    {
        public static readonly Watching Instance = new();
    }

    public sealed record Refused(string Reason);

    /// <summary>A question the feed answers from what it keeps, warming up first when it was not listening.</summary>
    public interface IQuery;

    /// <summary>A page of the NPC table, by NPC id; answered with <see cref="NpcPage"/>.</summary>
    public sealed record GetNpcs(int Offset, int Limit) : IQuery;

    /// <summary>One NPC's page; answered with <see cref="NpcDetail"/> or <see cref="NotFound"/>.</summary>
    public sealed record GetNpc(int NpcId) : IQuery;

    /// <summary>The gates; answered with <see cref="Gates"/>.</summary>
    public sealed record GetGates : IQuery
    {
        public static readonly GetGates Instance = new();
    }

    public sealed record Gates(IReadOnlyList<GateRow> All);

    /// <summary>The cluster with each host's NPC CPU; answered with <see cref="ClusterView"/>.</summary>
    public sealed record GetCluster : IQuery
    {
        public static readonly GetCluster Instance = new();
    }

    public sealed record NotFound(string Reason);
}
