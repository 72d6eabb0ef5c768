using Nimmerverse.Actors.Governor;
using Nimmerverse.Protocol;

namespace Nimmerverse.Supervisor.Tests.Persistence;

/// <summary>Decision trails for the persistence tests: distinct, with every field set (an outcome for two NPCs in three: the first epoch of a brain has none; a price for three in four: a fixed policy has none).</summary>
internal static class Trails
{
    public static DecisionTrail One(long epoch, int npcId) => new(
        Guid.NewGuid(), epoch, npcId, "theia", "learned",
        new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero).AddMilliseconds(epoch * 1000 + npcId),
        [npcId, epoch, 0.25f, -1.5f, float.Epsilon],
        new NpcAllocation(npcId, 1 + (npcId % 20), 5 + (epoch % 96), npcId % 2 == 0, (int)(epoch % 11)),
        Reward: 0.125 * epoch, LatencyMs: 0.5 + npcId,
        Outcome: npcId % 3 == 0 ? null : new NpcYield((0.01 * npcId) - 0.05, 0.002 * (epoch + 1)),
        Price: npcId % 4 == 0 ? null : 0.003 * (epoch + 1));

    public static List<DecisionTrail> Many(int count, long firstEpoch = 0) =>
        [.. Enumerable.Range(0, count).Select(i => One(firstEpoch + (i / 25), i % 25))];
}
