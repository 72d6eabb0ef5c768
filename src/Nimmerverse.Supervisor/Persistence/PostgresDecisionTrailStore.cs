using System.Text.Json;
using System.Text.Json.Serialization;
using Nimmerverse.Actors.Governor;
using Npgsql;
using NpgsqlTypes;

namespace Nimmerverse.Supervisor.Persistence;

/// <summary>
/// Decision trails into <c>decision_trails</c> by binary COPY, each record once. A batch is
/// copied straight into the table: almost every batch is new, and that is as fast as PostgreSQL
/// takes rows. Only when the copy hits a message id already there (a batch replayed from the spool
/// after a write whose answer was lost) does the batch go the careful way: copied into a temporary
/// table, then inserted with <c>on conflict (message_id) do nothing</c>, in one transaction.
/// With <paramref name="startup"/>, writes fail at once until the schema is migrated. A trail
/// PostgreSQL refuses is set aside in <c>dead_letters</c> (as JSON), so it cannot hold up the spool.
/// </summary>
public sealed class PostgresDecisionTrailStore(NpgsqlDataSource dataSource, PostgresDeadLetters deadLetters, DatabaseStartup? startup = null) : IDecisionTrailStore
{
    private const string Columns =
        "message_id, epoch, npc_id, host, policy, decided_at, inputs, tick_rate_hz, cpu_quota_percent, gate_open, llm_priority, reward, latency_ms, progress, cost, price";

    public Task<int> WriteAsync(IReadOnlyList<DecisionTrail> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return Task.FromResult(0);
        }

        // Before the migrations the table may not exist: fail at once, so the batch is spooled and replayed.
        if (startup is { Ready: false })
        {
            throw new InvalidOperationException("the PostgreSQL schema is not ready yet (migrations pending)");
        }

        return deadLetters.WriteAsync(PostgresDeadLetters.TrailPath, batch, records => CopyAsync(records, cancellationToken),
            trail => (trail.MessageId, JsonSerializer.SerializeToUtf8Bytes(trail, DeadLetterJsonContext.Default.DecisionTrail)), cancellationToken);
    }

    private async Task<int> CopyAsync(IReadOnlyList<DecisionTrail> batch, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await CopyAsync(connection, "decision_trails", batch, cancellationToken).ConfigureAwait(false);
            return batch.Count;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return await WriteSkippingKnownAsync(connection, batch, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<int> WriteSkippingKnownAsync(NpgsqlConnection connection, IReadOnlyList<DecisionTrail> batch, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var staging = new NpgsqlCommand(
            "create temporary table incoming_trails (like decision_trails including defaults) on commit drop", connection, transaction))
        {
            await staging.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await CopyAsync(connection, "incoming_trails", batch, cancellationToken).ConfigureAwait(false);
        int inserted;
        await using (var insert = new NpgsqlCommand(
            $"insert into decision_trails ({Columns}) select {Columns} from incoming_trails on conflict (message_id) do nothing", connection, transaction))
        {
            inserted = await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return inserted;
    }

    private static async Task CopyAsync(NpgsqlConnection connection, string table, IReadOnlyList<DecisionTrail> batch, CancellationToken cancellationToken)
    {
        await using var importer = await connection.BeginBinaryImportAsync($"copy {table} ({Columns}) from stdin (format binary)", cancellationToken).ConfigureAwait(false);
        foreach (var trail in batch)
        {
            await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(trail.MessageId, NpgsqlDbType.Uuid, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(trail.Epoch, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(trail.NpcId, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(trail.Host, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(trail.Policy, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(trail.DecidedAt.UtcDateTime, NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(trail.Inputs, NpgsqlDbType.Array | NpgsqlDbType.Real, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(trail.Output.TickRateHz, NpgsqlDbType.Double, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(trail.Output.CpuQuotaPercent, NpgsqlDbType.Double, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(trail.Output.GateOpen, NpgsqlDbType.Boolean, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync((short)trail.Output.LlmPriority, NpgsqlDbType.Smallint, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(trail.Reward, NpgsqlDbType.Double, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(trail.LatencyMs, NpgsqlDbType.Double, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(trail.Outcome?.Progress, NpgsqlDbType.Double, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(trail.Outcome?.Cost, NpgsqlDbType.Double, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(trail.Price, NpgsqlDbType.Double, cancellationToken).ConfigureAwait(false);
        }

        await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>How a refused decision trail is kept in <c>dead_letters</c>: readable JSON.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(DecisionTrail))]
internal sealed partial class DeadLetterJsonContext : JsonSerializerContext;
