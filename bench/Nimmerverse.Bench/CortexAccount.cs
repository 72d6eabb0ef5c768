using System.Globalization;
using Nimmerverse.Protocol;
using Npgsql;

namespace Nimmerverse.Bench;

/// <summary>
/// What the NPCs had of the cortex over a window: the questions their brains asked and the suggested
/// moves they followed (from their own states), and how the gateway dealt with the NPCs' requests
/// (from its trails: answered, with the lifeforce they cost and the time they took in the queue and in
/// the call; refused and failed, by reason). What the answers bought shows in the per-kind accounts.
/// </summary>
internal sealed record CortexAccount(long Asked, long Followed, long Answered, double LifeforceSpent, double MeanQueueMs, double MeanCallMs, IReadOnlyDictionary<string, long> Refused, long Failed)
{
    public static async Task<CortexAccount> ReadAsync(NpgsqlDataSource trails, IReadOnlyList<NpcStateBody> inWindow, DateTimeOffset from, DateTimeOffset to)
    {
        // What each state added to the one before it, per NPC; a pair across a new brain process (its tick went back) adds nothing.
        var (asked, followed) = (0L, 0L);
        foreach (var npc in inWindow.GroupBy(s => s.NpcId))
        {
            foreach (var (before, now) in npc.Zip(npc.Skip(1)).Where(p => p.Second.Tick >= p.First.Tick))
            {
                (asked, followed) = (asked + now.CortexAsked - before.CortexAsked, followed + now.CortexFollowed - before.CortexFollowed);
            }
        }

        await using var command = trails.CreateCommand("""
            select event, coalesce(reason, ''), count(*), coalesce(sum(lifeforce_spent), 0), coalesce(avg(queue_ms), 0), coalesce(avg(latency_ms), 0)
            from cortex_trails
            where requester like 'npc-%' and event in ('answered', 'refused', 'failed') and occurred_at >= $1 and occurred_at < $2
            group by 1, 2
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = from.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter { Value = to.UtcDateTime });
        var (answered, spent, queueMs, callMs, failed) = (0L, 0.0, 0.0, 0.0, 0L);
        var refused = new SortedDictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var count = reader.GetInt64(2);
            switch (reader.GetString(0))
            {
                case "answered":
                    (answered, spent, queueMs, callMs) = (answered + count, spent + reader.GetDouble(3), reader.GetDouble(4), reader.GetDouble(5));
                    break;
                case "refused":
                    refused[reader.GetString(1)] = refused.GetValueOrDefault(reader.GetString(1)) + count;
                    break;
                default:
                    failed += count;
                    break;
            }
        }

        return new CortexAccount(asked, followed, answered, spent, queueMs, callMs, refused, failed);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"asked {Asked}, answered {Answered} ({LifeforceSpent:F0} LF; mean {MeanQueueMs:F0} ms queued, {MeanCallMs:F0} ms in the call), followed {Followed} suggested moves, refused {Refused.Values.Sum()}{(Refused.Count > 0 ? $" ({string.Join(", ", Refused.Select(r => $"{r.Key} {r.Value}"))})" : "")}, failed {Failed}");
}
