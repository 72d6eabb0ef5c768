using Nimmerverse.Protocol;
using Npgsql;
using NpgsqlTypes;

namespace Nimmerverse.Supervisor.Persistence;

/// <summary>
/// A table of one kind of durable message, each message id once: a batch is one round trip of
/// single-row inserts with <c>on conflict (message_id) do nothing</c> (a redelivered message is
/// skipped), in one implicit transaction; a message PostgreSQL refuses is set aside in
/// <c>dead_letters</c>, so it cannot hold up the ones behind it. A kind says its table and its row.
/// </summary>
public abstract class PostgresEnvelopeStore<TBody>(NpgsqlDataSource dataSource, PostgresDeadLetters deadLetters) : IEnvelopeStore<TBody>
    where TBody : IMessageBody
{
    public abstract string Path { get; }

    /// <returns>How many were new.</returns>
    public Task<int> WriteAsync(IReadOnlyList<Envelope<TBody>> batch, CancellationToken cancellationToken) =>
        batch.Count == 0
            ? Task.FromResult(0)
            : deadLetters.WriteAsync(Path, batch, records => InsertAsync(records, cancellationToken), e => (e.Header.MessageId, WireCodec.Default.Encode(e)), cancellationToken);

    /// <summary>The insert of one message.</summary>
    protected abstract NpgsqlBatchCommand Insert(MessageHeader header, TBody body);

    /// <summary>The host a <c>{entity}@{host}</c> source names: <c>cortex@theia</c> → <c>theia</c>.</summary>
    protected static string HostOf(MessageSource source) => source.EntityId[(source.EntityId.IndexOf('@') + 1)..];

    protected static NpgsqlParameter Nullable(object? value, NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };

    private async Task<int> InsertAsync(IReadOnlyList<Envelope<TBody>> batch, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var inserts = new NpgsqlBatch(connection);
        foreach (var envelope in batch)
        {
            inserts.BatchCommands.Add(Insert(envelope.Header, envelope.Body));
        }

        // A batch is one implicit transaction: all of it is stored, or none and it is tried again.
        return await inserts.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
