using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Npc;

/// <summary>Where NPC checkpoints are kept (PostgreSQL in the supervisor; see Persistence/).</summary>
public interface ICheckpointStore
{
    /// <summary>Stores a checkpoint once: a second save with the same <paramref name="messageId"/> changes nothing.</summary>
    Task SaveAsync(NpcCheckpointBody checkpoint, Guid messageId, CancellationToken cancellationToken);

    /// <summary>
    /// The NPC's latest checkpoint, or null when none was stored; with <paramref name="olderThanSequence"/>,
    /// the latest one stored before the one of that sequence (null when there is none).
    /// </summary>
    Task<NpcCheckpointBody?> LatestAsync(int npcId, long? olderThanSequence, CancellationToken cancellationToken);
}
