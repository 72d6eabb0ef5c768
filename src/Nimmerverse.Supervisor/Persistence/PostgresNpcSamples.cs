using Nimmerverse.Actors.Dashboard;
using Nimmerverse.Actors.Npc;
using Npgsql;
using NpgsqlTypes;

namespace Nimmerverse.Supervisor.Persistence;

/// <summary>
/// NPC history in <c>npc_samples</c>: a row per NPC per sample (a sample written twice is kept once), and an NPC's
/// learning curve read back, averaged into at most <see cref="MaxPoints"/> points however long the span.
/// </summary>
public sealed class PostgresNpcSamples(NpgsqlDataSource dataSource, DatabaseStartup? startup = null) : INpcSamples
{
    public const int MaxPoints = 500;

    public async Task StoreAsync(IReadOnlyList<NpcSample> samples, CancellationToken cancellationToken)
    {
        if (startup is { Ready: false })
        {
            throw new InvalidOperationException("the PostgreSQL schema is not ready yet (migrations pending)");
        }

        await using var batch = dataSource.CreateBatch();
        foreach (var sample in samples)
        {
            var state = sample.State;
            batch.BatchCommands.Add(new NpgsqlBatchCommand("""
                insert into npc_samples (npc_id, sampled_at, host, tick, tick_rate_hz, measured_rate_hz, cpu_ms, lifeforce, level, episode, success_rate, reward_rate, epsilon, paused)
                values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                on conflict (npc_id, sampled_at) do nothing
                """)
            {
                Parameters =
                {
                    new() { Value = state.NpcId, NpgsqlDbType = NpgsqlDbType.Integer },
                    new() { Value = sample.At, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                    new() { Value = sample.Host, NpgsqlDbType = NpgsqlDbType.Text },
                    new() { Value = state.Tick, NpgsqlDbType = NpgsqlDbType.Bigint },
                    new() { Value = state.TickRateHz, NpgsqlDbType = NpgsqlDbType.Double },
                    new() { Value = state.MeasuredRateHz, NpgsqlDbType = NpgsqlDbType.Double },
                    new() { Value = state.CpuMs, NpgsqlDbType = NpgsqlDbType.Double },
                    new() { Value = state.Lifeforce, NpgsqlDbType = NpgsqlDbType.Double },
                    new() { Value = state.Level, NpgsqlDbType = NpgsqlDbType.Integer },
                    new() { Value = state.Episode, NpgsqlDbType = NpgsqlDbType.Bigint },
                    new() { Value = state.SuccessRate, NpgsqlDbType = NpgsqlDbType.Double },
                    new() { Value = state.RewardRate, NpgsqlDbType = NpgsqlDbType.Double },
                    new() { Value = state.Epsilon, NpgsqlDbType = NpgsqlDbType.Double },
                    new() { Value = state.Paused, NpgsqlDbType = NpgsqlDbType.Boolean },
                },
            });
        }

        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>NPC <paramref name="npcId"/>'s learning curve since <paramref name="since"/>, oldest first, in equal time buckets.</summary>
    public async Task<IReadOnlyList<LearningPoint>> CurveAsync(int npcId, DateTimeOffset since, DateTimeOffset until, CancellationToken cancellationToken)
    {
        var bucketSeconds = Math.Max(1, (until - since).TotalSeconds / MaxPoints);
        await using var command = dataSource.CreateCommand("""
            select to_timestamp(floor(extract(epoch from sampled_at) / $3) * $3) as at,
                   avg(success_rate), avg(reward_rate), max(level)
            from npc_samples
            where npc_id = $1 and sampled_at >= $2
            group by 1 order by 1
            """);
        command.Parameters.Add(new() { Value = npcId, NpgsqlDbType = NpgsqlDbType.Integer });
        command.Parameters.Add(new() { Value = since, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new() { Value = bucketSeconds, NpgsqlDbType = NpgsqlDbType.Double });
        var points = new List<LearningPoint>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            points.Add(new LearningPoint(reader.GetFieldValue<DateTimeOffset>(0), reader.GetDouble(1), reader.GetDouble(2), reader.GetInt32(3)));
        }

        return points;
    }
}
