using System.Text.Json;
using Nimmerverse.Protocol;
using Npgsql;
using NpgsqlTypes;

namespace Nimmerverse.Supervisor.Persistence;

/// <summary>
/// The cortex gateway's and the boundary's trails into <c>cortex_trails</c>, each message id once.
/// A few per cortex call, so single-row inserts suffice. The host is the one the publisher names in its source.
/// </summary>
public sealed class PostgresCortexTrailStore(NpgsqlDataSource dataSource, PostgresDeadLetters deadLetters)
    : PostgresEnvelopeStore<CortexTrailBody>(dataSource, deadLetters)
{
    private const string Sql = """
        insert into cortex_trails
            (message_id, request_id, requester, event, priority, reason, detail, response_schema, messages, content, model,
             prompt_tokens, completion_tokens, queue_ms, latency_ms, lifeforce_spent, queue_depth, host, occurred_at)
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
        on conflict (message_id) do nothing
        """;

    public override string Path => PostgresDeadLetters.CortexTrailPath;

    protected override NpgsqlBatchCommand Insert(MessageHeader header, CortexTrailBody body) => new(Sql)
    {
        Parameters =
        {
            new() { Value = header.MessageId, NpgsqlDbType = NpgsqlDbType.Uuid },
            new() { Value = body.RequestId, NpgsqlDbType = NpgsqlDbType.Uuid },
            new() { Value = body.Requester, NpgsqlDbType = NpgsqlDbType.Text },
            new() { Value = body.Event, NpgsqlDbType = NpgsqlDbType.Text },
            new() { Value = (short)body.Priority, NpgsqlDbType = NpgsqlDbType.Smallint },
            Nullable(body.Reason, NpgsqlDbType.Text),
            Nullable(body.Detail, NpgsqlDbType.Text),
            Nullable(body.ResponseSchema, NpgsqlDbType.Text),
            Nullable(body.Messages is { } messages ? JsonSerializer.Serialize(messages, CortexTrailJson.Default.IReadOnlyListCortexMessage) : null, NpgsqlDbType.Jsonb),
            Nullable(body.Content, NpgsqlDbType.Text),
            Nullable(body.Model, NpgsqlDbType.Text),
            Nullable(body.Usage?.PromptTokens, NpgsqlDbType.Integer),
            Nullable(body.Usage?.CompletionTokens, NpgsqlDbType.Integer),
            new() { Value = body.QueueMs, NpgsqlDbType = NpgsqlDbType.Double },
            new() { Value = body.LatencyMs, NpgsqlDbType = NpgsqlDbType.Double },
            new() { Value = body.LifeforceSpent, NpgsqlDbType = NpgsqlDbType.Double },
            new() { Value = body.QueueDepth, NpgsqlDbType = NpgsqlDbType.Integer },
            new() { Value = HostOf(header.Source), NpgsqlDbType = NpgsqlDbType.Text },
            new() { Value = header.Timestamp.UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz },
        },
    };
}

/// <summary>The messages of a trail as <c>jsonb</c>: the wire's shape.</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyList<CortexMessage>))]
internal sealed partial class CortexTrailJson : System.Text.Json.Serialization.JsonSerializerContext;
