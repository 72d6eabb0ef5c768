using Nimmerverse.Actors.Governor;
using Npgsql;
using NpgsqlTypes;

namespace Nimmerverse.Supervisor.Persistence;

/// <summary>
/// The governor's weights in <c>governor_checkpoints</c>, each save once by its message id, the last
/// <see cref="Keep"/> kept. Each is stored with the format its policy's weights fit
/// (<see cref="GovernorSettings.WeightsFormatOf"/>: for the learned one, networks of one shape and input
/// width); a checkpoint of another format (the one-epoch learner's "torchsharp-governor/in17", say) is left
/// alone, and the governor learns afresh. Waits for the schema (<paramref name="startup"/>) before touching it: the
/// governor asks for its weights the moment it starts.
/// </summary>
public sealed class PostgresGovernorCheckpoints(NpgsqlDataSource dataSource, DatabaseStartup? startup = null) : IGovernorCheckpoints
{
    public const int Keep = 5;

    public async Task SaveAsync(Guid messageId, long epoch, string policy, byte[] weights, CancellationToken cancellationToken)
    {
        await startup.SchemaReadyAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = dataSource.CreateBatch();
        var insert = new NpgsqlBatchCommand("insert into governor_checkpoints (message_id, epoch, policy, format, weights) values ($1, $2, $3, $4, $5) on conflict (message_id) do nothing");
        insert.Parameters.AddWithValue(messageId);
        insert.Parameters.AddWithValue(epoch);
        insert.Parameters.AddWithValue(policy);
        insert.Parameters.AddWithValue(GovernorSettings.WeightsFormatOf(policy));
        insert.Parameters.AddWithValue(NpgsqlDbType.Bytea, weights);
        var prune = new NpgsqlBatchCommand("delete from governor_checkpoints where policy = $1 and id < (select min(id) from (select id from governor_checkpoints where policy = $1 order by id desc limit $2) kept)");
        prune.Parameters.AddWithValue(policy);
        prune.Parameters.AddWithValue(Keep);
        batch.BatchCommands.Add(insert);
        batch.BatchCommands.Add(prune);
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<(long Epoch, byte[] Weights)?> LatestAsync(string policy, CancellationToken cancellationToken)
    {
        await startup.SchemaReadyAsync(cancellationToken).ConfigureAwait(false);
        await using var command = dataSource.CreateCommand("select epoch, weights from governor_checkpoints where policy = $1 and format = $2 order by id desc limit 1");
        command.Parameters.AddWithValue(policy);
        command.Parameters.AddWithValue(GovernorSettings.WeightsFormatOf(policy));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? (reader.GetInt64(0), reader.GetFieldValue<byte[]>(1)) : null;
    }
}
