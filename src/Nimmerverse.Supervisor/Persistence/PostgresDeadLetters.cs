using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Nimmerverse.Actors.Logging;
using Nimmerverse.Supervisor.Lifecycle;
using Npgsql;
using NpgsqlTypes;

namespace Nimmerverse.Supervisor.Persistence;

/// <summary>
/// The durable paths' way past a record that cannot be stored: one PostgreSQL refuses (a data exception or a violated
/// constraint: retrying it would fail forever and hold up everything behind it). The batch is
/// written record by record, and each refused one goes to <c>dead_letters</c> with its path, its
/// message id, its payload as it came and PostgreSQL's reason; the rest is stored and the path
/// flows on. Set-aside records are counted (STATUS line) and logged at Error, at most once a minute
/// per path. Any other failure (PostgreSQL away, a timeout) is passed on to the caller, which
/// retries or spools as before: nothing is set aside for an outage.
/// </summary>
public sealed class PostgresDeadLetters(NpgsqlDataSource dataSource, ILogger<PostgresDeadLetters>? logger = null) : IStatusContributor
{
    public const string GatePath = "gate_transitions";
    public const string CortexTrailPath = "cortex_trails";
    public const string OrganTrailPath = "organ_trails";
    public const string TrailPath = "decision_trails";
    public const string CheckpointPath = "npc_checkpoints";

    private readonly ILogger _logger = logger ?? NullLogger<PostgresDeadLetters>.Instance;
    private readonly ConcurrentDictionary<string, long> _setAside = new();
    private readonly ConcurrentDictionary<string, long> _unkept = new();
    private readonly LogThrottle _throttle = new(TimeSpan.FromMinutes(1));

    /// <summary>Whether PostgreSQL refused the data itself (SQLSTATE class 22 or 23), not failed to take it.</summary>
    public static bool Refused(Exception e) => e is PostgresException { SqlState: ['2', '2' or '3', ..] };

    /// <summary>Records set aside since start, by path.</summary>
    public IReadOnlyDictionary<string, long> SetAside => _setAside.ToDictionary(p => p.Key, p => p.Value);

    public int Order => 40;

    public string? Describe()
    {
        var (total, unkept) = (_setAside.Values.Sum(), _unkept.Values.Sum());
        var text = total == 0 ? null : $"dead letters: {total} set aside ({string.Join(", ", _setAside.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))})";
        return unkept == 0 ? text : $"{text ?? "dead letters: none set aside"}, {unkept} COULD NOT BE KEPT";
    }

    /// <summary>
    /// <paramref name="write"/> the batch; if PostgreSQL refuses it, each record alone, setting aside
    /// those it refuses. Returns what <paramref name="write"/> returned, summed.
    /// </summary>
    public async Task<int> WriteAsync<T>(
        string path, IReadOnlyList<T> batch, Func<IReadOnlyList<T>, Task<int>> write, Func<T, (Guid? MessageId, byte[] Payload)> describe, CancellationToken cancellationToken)
    {
        try
        {
            return await write(batch).ConfigureAwait(false);
        }
        catch (Exception e) when (Refused(e))
        {
            // Which one? Found out record by record below.
        }

        var written = 0;
        foreach (var record in batch)
        {
            try
            {
                written += await write([record]).ConfigureAwait(false);
            }
            catch (PostgresException e) when (Refused(e))
            {
                var (messageId, payload) = describe(record);
                await SetAsideAsync(path, messageId, payload, e.MessageText, e.SqlState, cancellationToken).ConfigureAwait(false);
            }
        }

        return written;
    }

    /// <summary>A record set aside: its message id (if it has one), its payload as it came, why, and PostgreSQL's SQLSTATE when PostgreSQL refused it.</summary>
    public sealed record DeadLetter(Guid? MessageId, byte[] Payload, string Why, string? SqlState);

    /// <summary>Keeps <paramref name="payload"/> in <c>dead_letters</c> with why: PostgreSQL's refusal (with its SQLSTATE), or a rejection at decode time (without).</summary>
    public Task SetAsideAsync(string path, Guid? messageId, byte[] payload, string why, string? sqlState, CancellationToken cancellationToken) =>
        SetAsideAsync(path, [new DeadLetter(messageId, payload, why, sqlState)], cancellationToken);

    /// <summary>Keeps every letter in <c>dead_letters</c>, in one round trip and one transaction (a flood of them must not hold a path up either).</summary>
    public async Task SetAsideAsync(string path, IReadOnlyList<DeadLetter> letters, CancellationToken cancellationToken)
    {
        if (letters.Count == 0)
        {
            return;
        }

        try
        {
            await InsertAsync(path, letters, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (Refused(e))
        {
            // Even the dead letter is refused (a table that does not fit, say): not retried forever
            // either, or the path would stall after all. Counted, and logged with what was lost.
            _unkept.AddOrUpdate(path, letters.Count, (_, n) => n + letters.Count);
            _logger.LogError(
                "{Count} records of the {Path} path could not even be set aside in dead_letters ({SqlState}: {Error}); they are dropped (messages {MessageIds})",
                letters.Count, path, e.SqlState, Printable(e.MessageText), string.Join(' ', letters.Select(l => l.MessageId?.ToString() ?? "-").Take(20)));
            return;
        }

        var count = _setAside.AddOrUpdate(path, letters.Count, (_, n) => n + letters.Count);
        if (_throttle.ShouldLog(path, out var suppressed))
        {
            var first = letters[0];
            _logger.LogError(
                "A record on the {Path} path is set aside in dead_letters (message {MessageId}): {Reason}{SqlState}; the rest flows on; {Count} set aside on this path so far ({Suppressed} since the last report)",
                path, first.MessageId, Printable(first.Why), first.SqlState is null ? "" : $" (SQLSTATE {first.SqlState})", count, suppressed + letters.Count - 1);
        }
    }

    private async Task InsertAsync(string path, IReadOnlyList<DeadLetter> letters, CancellationToken cancellationToken)
    {
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
        await using (var batch = new NpgsqlBatch(connection))
        {
            foreach (var letter in letters)
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand("insert into dead_letters (path, message_id, payload, reason, sql_state) values ($1, $2, $3, $4, $5)")
                {
                    Parameters =
                    {
                        new NpgsqlParameter { Value = path, NpgsqlDbType = NpgsqlDbType.Text },
                        new NpgsqlParameter { Value = (object?)letter.MessageId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid },
                        new NpgsqlParameter { Value = letter.Payload, NpgsqlDbType = NpgsqlDbType.Bytea },
                        new NpgsqlParameter { Value = Printable(letter.Why), NpgsqlDbType = NpgsqlDbType.Text },
                        new NpgsqlParameter { Value = (object?)letter.SqlState ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                    },
                });
            }

            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The reason goes into a text column and a log line: no control characters, bounded.</summary>
    private static string Printable(string text)
    {
        var cleaned = string.Create(Math.Min(text.Length, 1000), text, (span, source) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = char.IsControl(source[i]) || char.IsSurrogate(source[i]) ? '?' : source[i];
            }
        });
        return cleaned;
    }
}
