using System.Text.Json;
using Nimmerverse.Actors.Npc;
using Nimmerverse.Protocol;
using Npgsql;
using NpgsqlTypes;

namespace Nimmerverse.Supervisor.Persistence;

/// <summary>
/// NPC checkpoints in PostgreSQL (table <c>npc_checkpoints</c>). Chosen over the JetStream object
/// store because phoebe already keeps the lab's decision trails and governor checkpoints: one
/// backup, one retention policy, and checkpoints joinable with the trails they explain. Each save
/// is keyed by its message id (a retried save is stored once); the last <see cref="Keep"/> per NPC are kept.
/// A checkpoint PostgreSQL refuses is set aside in <c>dead_letters</c> and the save fails (the brain
/// hears why, keeps what it learned and saves again later). With <paramref name="startup"/>, every call
/// fails at once until the schema is migrated (rather than as PostgreSQL's error for a missing table,
/// logged with its stack by the driver for every brain that asks).
/// </summary>
public sealed class PostgresCheckpointStore(NpgsqlDataSource dataSource, PostgresDeadLetters deadLetters, DatabaseStartup? startup = null) : ICheckpointStore
{
    public const int Keep = NpcCheckpointBody.KeptPerNpc;

    private void EnsureSchema()
    {
        if (startup is { Ready: false })
        {
            throw new InvalidOperationException("the PostgreSQL schema is not ready yet (migrations pending)");
        }
    }

    public async Task SaveAsync(NpcCheckpointBody checkpoint, Guid messageId, CancellationToken cancellationToken)
    {
        EnsureSchema();
        try
        {
            await InsertAsync(checkpoint, messageId, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (PostgresDeadLetters.Refused(e))
        {
            await deadLetters.SetAsideAsync(PostgresDeadLetters.CheckpointPath, messageId,
                JsonSerializer.SerializeToUtf8Bytes(checkpoint, WireJsonContext.Default.NpcCheckpointBody), e.MessageText, e.SqlState, cancellationToken).ConfigureAwait(false);
            throw;
        }
    }

    private async Task InsertAsync(NpcCheckpointBody checkpoint, Guid messageId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var insert = new NpgsqlCommand(
            """
            insert into npc_checkpoints (message_id, npc_id, sequence, role, format, weights, steps, episodes, epsilon, level, recent_errands, quiz_passed)
            values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            on conflict (message_id) do nothing
            """,
            connection,
            transaction))
        {
            insert.Parameters.AddWithValue(messageId);
            insert.Parameters.AddWithValue(checkpoint.NpcId);
            insert.Parameters.AddWithValue(checkpoint.Sequence);
            insert.Parameters.AddWithValue(checkpoint.Role);
            insert.Parameters.AddWithValue(checkpoint.Format);
            insert.Parameters.AddWithValue(NpgsqlDbType.Bytea, checkpoint.Weights);
            insert.Parameters.AddWithValue(checkpoint.Steps);
            insert.Parameters.AddWithValue(checkpoint.Episodes);
            insert.Parameters.AddWithValue(checkpoint.Epsilon);
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)checkpoint.Level ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)checkpoint.RecentErrands ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Boolean });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)checkpoint.QuizPassed ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Boolean });
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var prune = new NpgsqlCommand(
            "delete from npc_checkpoints where npc_id = $1 and id < (select min(id) from (select id from npc_checkpoints where npc_id = $1 order by id desc limit $2) kept)",
            connection,
            transaction))
        {
            prune.Parameters.AddWithValue(checkpoint.NpcId);
            prune.Parameters.AddWithValue(Keep);
            await prune.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<NpcCheckpointBody?> LatestAsync(int npcId, long? olderThanSequence, CancellationToken cancellationToken)
    {
        EnsureSchema();
        // "Older" by when it was stored, not by its sequence: a brain that had to start afresh counts from 1 again.
        await using var command = dataSource.CreateCommand(olderThanSequence is null
            ? "select sequence, role, format, weights, steps, episodes, epsilon, level, recent_errands, quiz_passed from npc_checkpoints where npc_id = $1 order by id desc limit 1"
            : """
              select sequence, role, format, weights, steps, episodes, epsilon, level, recent_errands, quiz_passed from npc_checkpoints
              where npc_id = $1 and id < (select max(id) from npc_checkpoints where npc_id = $1 and sequence = $2)
              order by id desc limit 1
              """);
        command.Parameters.AddWithValue(npcId);
        if (olderThanSequence is { } sequence)
        {
            command.Parameters.AddWithValue(sequence);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new NpcCheckpointBody(
            npcId, reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<byte[]>(3),
            reader.GetInt64(4), reader.GetInt64(5), reader.GetDouble(6),
            reader.IsDBNull(7) ? null : reader.GetInt32(7), reader.IsDBNull(8) ? null : reader.GetFieldValue<bool[]>(8), reader.IsDBNull(9) ? null : reader.GetBoolean(9));
    }
}
