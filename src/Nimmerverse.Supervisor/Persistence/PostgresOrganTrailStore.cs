using Nimmerverse.Protocol;
using Npgsql;
using NpgsqlTypes;

namespace Nimmerverse.Supervisor.Persistence;

/// <summary>
/// The organs' trails into <c>organ_trails</c>, each message id once. One per organ request, so
/// single-row inserts suffice. The host is the one the publisher names in its source.
/// </summary>
public sealed class PostgresOrganTrailStore(NpgsqlDataSource dataSource, PostgresDeadLetters deadLetters)
    : PostgresEnvelopeStore<OrganTrailBody>(dataSource, deadLetters)
{
    private const string Sql = """
        insert into organ_trails
            (message_id, request_id, requester, organ, status, reason, detail, input, output, confidence,
             wait_ms, work_ms, load_ms, lifeforce_spent, card, host, occurred_at)
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
        on conflict (message_id) do nothing
        """;

    public override string Path => PostgresDeadLetters.OrganTrailPath;

    protected override NpgsqlBatchCommand Insert(MessageHeader header, OrganTrailBody body) => new(Sql)
    {
        Parameters =
        {
            new() { Value = header.MessageId, NpgsqlDbType = NpgsqlDbType.Uuid },
            new() { Value = body.RequestId, NpgsqlDbType = NpgsqlDbType.Uuid },
            new() { Value = body.Requester, NpgsqlDbType = NpgsqlDbType.Text },
            new() { Value = body.Organ, NpgsqlDbType = NpgsqlDbType.Text },
            new() { Value = body.Status, NpgsqlDbType = NpgsqlDbType.Text },
            Nullable(body.Reason, NpgsqlDbType.Text),
            Nullable(body.Detail, NpgsqlDbType.Text),
            new() { Value = body.Input, NpgsqlDbType = NpgsqlDbType.Text },
            Nullable(body.Output, NpgsqlDbType.Text),
            Nullable(body.Confidence, NpgsqlDbType.Double),
            new() { Value = body.WaitMs, NpgsqlDbType = NpgsqlDbType.Double },
            new() { Value = body.WorkMs, NpgsqlDbType = NpgsqlDbType.Double },
            Nullable(body.LoadMs, NpgsqlDbType.Double),
            new() { Value = body.LifeforceSpent, NpgsqlDbType = NpgsqlDbType.Double },
            Nullable(body.Card, NpgsqlDbType.Text),
            new() { Value = HostOf(header.Source), NpgsqlDbType = NpgsqlDbType.Text },
            new() { Value = header.Timestamp.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz },
        },
    };
}
