using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Governor;

/// <summary>One decision of a trail as an offline start reads it: what the NPC's features were, what was decided, and what followed over the next epoch.</summary>
public readonly record struct TrailStep(float[] Inputs, NpcAllocation Allocation, NpcYield Outcome);

/// <summary>
/// Recorded governor decisions as the offline start learns from them: each NPC's decisions in the
/// order they were made, each with what followed it, which is the outcome recorded with that NPC's
/// next decision. A trajectory is cut where that is unknown: an epoch missing (the NPC was absent,
/// or the governor restarted and counts from 1 again), a new brain process (no outcome recorded),
/// or features of another width than this governor's.
/// </summary>
public static class TrailTrajectories
{
    /// <summary>One recorded decision, as <c>nimmerverse trails export --what governor</c> writes it.</summary>
    public sealed record Recorded(DateTimeOffset At, long Epoch, int NpcId, float[] Features, NpcAllocation Allocation, NpcYield? Outcome);

    /// <summary>The trajectories, and how many decisions could not be used (no outcome known after them, or another width).</summary>
    public static (IReadOnlyList<IReadOnlyList<TrailStep>> Trajectories, int Unused) Of(IEnumerable<Recorded> trails)
    {
        var trajectories = new List<IReadOnlyList<TrailStep>>();
        var unused = 0;
        foreach (var npc in trails.GroupBy(t => t.NpcId))
        {
            var ordered = npc.OrderBy(t => t.At).ThenBy(t => t.Epoch).ToList();
            var current = new List<TrailStep>();
            for (var i = 0; i < ordered.Count; i++)
            {
                var (decision, next) = (ordered[i], i + 1 < ordered.Count ? ordered[i + 1] : null);
                if (decision.Features.Length == GovernorFeatures.Count && next is { Outcome: { } outcome } && next.Epoch == decision.Epoch + 1)
                {
                    current.Add(new TrailStep(decision.Features, decision.Allocation, outcome));
                    continue;
                }

                unused++;
                if (current.Count > 0)
                {
                    trajectories.Add(current);
                    current = [];
                }
            }
        }

        return (trajectories, unused);
    }
}
