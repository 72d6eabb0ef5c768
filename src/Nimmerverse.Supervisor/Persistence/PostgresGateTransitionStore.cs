using Nimmerverse.Protocol;
using Npgsql;
using NpgsqlTypes;

namespace Nimmerverse.Supervisor.Persistence;

/// <summary>
/// Gate transitions into <c>gate_transitions</c>, each message id once. Transitions are rare (a
/// gate changes state a few times a second at most), so a batch is one round trip of single-row
/// inserts with <c>on conflict (message_id) do nothing</c>: a redelivered transition is skipped.
/// Its recorder writes only once the schema is migrated. A transition PostgreSQL refuses is set
/// aside in <c>dead_letters</c>, so it cannot hold up the ones behind it.
/// </summary>
public sealed class PostgresGateTransitionStore(NpgsqlDataSource dataSource, PostgresDeadLetters deadLetters) : IEnvelopeStore<GateTransitionBody>
{
    public string Path => PostgresDeadLetters.GatePath;

    private const string Insert = """
        insert into gate_transitions
            (message_id, gate_id, domain, from_state, to_state, state_value, correlation_score, trigger_waves, routed_to_tier, occurred_at)
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        on conflict (message_id) do nothing
        """;

    /// <returns>How many were new.</returns>
    public Task<int> WriteAsync(IReadOnlyList<Envelope<GateTransitionBody>> batch, CancellationToken cancellationToken) =>
        batch.Count == 0
            ? Task.FromResult(0)
            : deadLetters.WriteAsync(PostgresDeadLetters.GatePath, batch, records => InsertAsync(records, cancellationToken), e => (e.Header.MessageId, WireCodec.Default.Encode(e)), cancellationToken);

    private async Task<int> InsertAsync(IReadOnlyList<Envelope<GateTransitionBody>> batch, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var inserts = new NpgsqlBatch(connection);
        foreach (var (header, body) in batch.Select(e => (e.Header, e.Body)))
        {
            inserts.BatchCommands.Add(new NpgsqlBatchCommand(Insert)
            {
                Parameters =
                {
                    new() { Value = header.MessageId, NpgsqlDbType = NpgsqlDbType.Uuid },
                    new() { Value = body.GateId, NpgsqlDbType = NpgsqlDbType.Text },
                    new() { Value = body.Domain, NpgsqlDbType = NpgsqlDbType.Text },
                    new() { Value = WireName(body.FromState), NpgsqlDbType = NpgsqlDbType.Text },
                    new() { Value = WireName(body.ToState), NpgsqlDbType = NpgsqlDbType.Text },
                    new() { Value = body.StateValue, NpgsqlDbType = NpgsqlDbType.Double },
                    new() { Value = body.CorrelationScore, NpgsqlDbType = NpgsqlDbType.Double },
                    new() { Value = body.TriggerWaves.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid },
                    new() { Value = (short)body.RoutedToTier, NpgsqlDbType = NpgsqlDbType.Smallint },
                    new() { Value = header.Timestamp.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                },
            });
        }

        // A batch is one implicit transaction: all of it is stored, or none and it is tried again.
        return await inserts.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The state as the protocol spells it (<c>CLOSED</c>, <c>STABLE</c>, <c>OPEN</c>), so SQL reads like the wire.</summary>
    private static string WireName(GateState state) => state.ToString().ToUpperInvariant();
}
