using System.Collections.Concurrent;
using Nimmerverse.Actors.Npc;
using Nimmerverse.Protocol;

namespace Nimmerverse.Bench;

/// <summary>Checkpoints kept in memory: the benchmarks measure the brains, not the PostgreSQL store.</summary>
internal sealed class MemoryCheckpoints : ICheckpointStore
{
    private readonly ConcurrentDictionary<int, NpcCheckpointBody> _latest = new();

    public Task SaveAsync(NpcCheckpointBody checkpoint, Guid messageId, CancellationToken cancellationToken)
    {
        _latest[checkpoint.NpcId] = checkpoint;
        return Task.CompletedTask;
    }

    public Task<NpcCheckpointBody?> LatestAsync(int npcId, long? olderThanSequence, CancellationToken cancellationToken) =>
        Task.FromResult(olderThanSequence is null && _latest.TryGetValue(npcId, out var checkpoint) ? checkpoint : null);
}
