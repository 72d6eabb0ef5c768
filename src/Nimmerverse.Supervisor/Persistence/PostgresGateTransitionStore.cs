using Nimmerverse.Protocol;
using Npgsql;
using NpgsqlTypes;

namespace Nimmerverse.Supervisor.Persistence;

/// <summary>
/// Gate transitions into <c>gate_transitions</c>, each message id once. Transitions are rare (a
/// gate changes state a few times a second at most), so single-row inserts suffice. Its recorder
/// writes only once the schema is migrated.
/// </summary>
public sealed class PostgresGateTransitionStore(NpgsqlDataSource dataSource, PostgresDeadLetters deadLetters)
    : PostgresEnvelopeStore<GateTransitionBody>(dataSource, deadLetters)
{
    private const string Sql = """
        insert into gate_transitions
            (message_id, gate_id, domain, from_state, to_state, state_value, correlation_score, trigger_waves, routed_to_tier, occurred_at)
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        on conflict (message_id) do nothing
        """;

    public override string Path => PostgresDeadLetters.GatePath;

    protected override NpgsqlBatchCommand Insert(MessageHeader header, GateTransitionBody body) => new(Sql)
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
    };

    /// <summary>The state as the protocol spells it (<c>CLOSED</c>, <c>STABLE</c>, <c>OPEN</c>), so SQL reads like the wire.</summary>
    private static string WireName(GateState state) => state.ToString().ToUpperInvariant();
}
