using System.Globalization;
using System.Text.Json;
using Nimmerverse.Actors.Governor;
using Npgsql;

namespace Nimmerverse.Supervisor.Cli;

/// <summary>
/// <c>nimmerverse trails export</c>: decision trails as training examples, one JSON object a line, in
/// the chat format fine-tuning tools read (<c>{"messages": [...]}</c>), each with the trail it came from;
/// <c>trails warm-start</c> trains the governor on such an export (<see cref="WarmStartCommand"/>).
/// </summary>
public sealed class TrailsCommand(TextWriter output, TextWriter error)
{
    public const string Usage = """
        usage: nimmerverse trails export --what cortex|function-gemma|governor [--since TIME] [--out FILE.jsonl]
               nimmerverse trails warm-start --from FILE.jsonl [--passes N]

          --what       cortex: the cortex's answered exchanges (NPCs, the boundary, operators);
                       function-gemma: the boundary's valid assessments (gate and waves -> cognitive request);
                       governor: the governor's decisions (an NPC's features -> its allocation, with the reward)
          --since      an RFC 3339 time (2026-12-01T00:00:00Z) or a span back from now (90m, 24h, 7d);
                       default: all of it
          --out        the file to write (replaced whole); default: standard output
        Each line: {"trail_id", "what", "at", "model", "messages": [system, user, assistant], ...}.
        warm-start trains the learned governor (the bandit per class where Governor:Policy is class-bandit)
        on a governor export and stores it as its newest checkpoint.
        PostgreSQL: Nimmerverse:Postgres from the configuration.
        """;

    /// <summary>sysexits(3): PostgreSQL is not there.</summary>
    public const int ExitUnavailable = 69;

    /// <summary>sysexits(3): the output file cannot be written.</summary>
    public const int ExitCannotCreate = 73;

    private const string GovernorPrompt =
        "You are the thalamus governor of an artificial organism. Given one NPC's features for the coming epoch, allocate its tick rate (Hz), CPU quota (% of a core), LLM gate and LLM priority (0-10).";

    private static readonly string[] What = ["cortex", "function-gemma", "governor"];

    public async Task<int> RunAsync(IReadOnlyList<string> args, string connectionString, TimeProvider clock, CancellationToken cancellationToken, GovernorSettings? governor = null)
    {
        if (args.Count > 0 && args[0] == "warm-start")
        {
            return await new WarmStartCommand(output, error).RunAsync([.. args.Skip(1)], connectionString, governor ?? GovernorSettings.Default, cancellationToken).ConfigureAwait(false);
        }

        if (args.Count == 0 || args[0] != "export")
        {
            return Fail("trails takes: export --what cortex|function-gemma|governor [--since TIME] [--out FILE], or warm-start --from FILE");
        }

        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Count; i++)
        {
            if (args[i] is not ("--what" or "--since" or "--out") || i + 1 >= args.Count)
            {
                return Fail($"unexpected argument '{args[i]}'");
            }

            options[args[i]] = args[++i];
        }

        if (!options.TryGetValue("--what", out var what) || !What.Contains(what))
        {
            return Fail($"--what must be one of {string.Join(", ", What)}");
        }

        var since = DateTimeOffset.UnixEpoch; // no trail is older
        if (options.TryGetValue("--since", out var given))
        {
            if (Since(given, clock.GetUtcNow()) is not { } parsed)
            {
                return Fail($"--since '{given}' is neither an RFC 3339 time nor a span like 90m, 24h or 7d");
            }

            since = parsed;
        }

        var path = options.GetValueOrDefault("--out");
        var temporary = path is null ? null : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            long lines;
            await using (var file = temporary is null ? null : new StreamWriter(temporary))
            {
                lines = await ExportAsync(dataSource, what, since, file ?? output, cancellationToken).ConfigureAwait(false);
            }

            if (temporary is not null)
            {
                File.Move(temporary, path!, overwrite: true); // whole or not at all
            }

            await error.WriteLineAsync($"{lines} {what} examples{(path is null ? "" : $" in {path}")}").ConfigureAwait(false);
            return 0;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            await error.WriteLineAsync($"nimmerverse trails: PostgreSQL: {e.Message}").ConfigureAwait(false);
            return ExitUnavailable;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"nimmerverse trails: cannot write {path}: {e.Message}").ConfigureAwait(false);
            return ExitCannotCreate;
        }
        finally
        {
            if (temporary is not null && File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    /// <summary>An RFC 3339 time, or a span back from <paramref name="now"/> (<c>90m</c>, <c>24h</c>, <c>7d</c>).</summary>
    public static DateTimeOffset? Since(string text, DateTimeOffset now)
    {
        if (text.Length >= 2 && double.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount >= 0)
        {
            TimeSpan? span = text[^1] switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => null,
            };
            if (span is { } back)
            {
                return now - back;
            }
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;
    }

    private static async Task<long> ExportAsync(NpgsqlDataSource dataSource, string what, DateTimeOffset since, TextWriter to, CancellationToken cancellationToken)
    {
        var sql = what == "governor"
            ? """
              select message_id, decided_at, policy, epoch, npc_id, inputs, tick_rate_hz, cpu_quota_percent, gate_open, llm_priority, reward, progress, cost, price
              from decision_trails where decided_at >= $1 order by decided_at, npc_id
              """
            : $"""
              select message_id, occurred_at, model, requester, response_schema, messages::text, content
              from cortex_trails
              where event = $2 and occurred_at >= $1 and requester {(what == "function-gemma" ? "=" : "<>")} $3
              order by occurred_at
              """;
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddWithValue(since.UtcDateTime);
        if (what != "governor")
        {
            command.Parameters.AddWithValue(Protocol.CortexTrailEvents.Answered);
            command.Parameters.AddWithValue(Actors.Cortex.BoundaryActor.Requester);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        long lines = 0;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            buffer.Clear();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteString("trail_id", reader.GetGuid(0));
                json.WriteString("what", what);
                json.WriteString("at", reader.GetFieldValue<DateTimeOffset>(1).UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
                if (what == "governor")
                {
                    WriteGovernorExample(json, reader);
                }
                else
                {
                    WriteExchange(json, reader);
                }

                json.WriteEndObject();
            }

            await to.WriteLineAsync(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan)).ConfigureAwait(false);
            lines++;
        }

        await to.FlushAsync(cancellationToken).ConfigureAwait(false);
        return lines;
    }

    /// <summary>A cortex or boundary exchange: its messages as asked, then the answer as the assistant's.</summary>
    private static void WriteExchange(Utf8JsonWriter json, NpgsqlDataReader reader)
    {
        json.WriteString("model", reader.IsDBNull(2) ? null : reader.GetString(2));
        json.WriteString("requester", reader.GetString(3));
        json.WriteString("response_schema", reader.IsDBNull(4) ? null : reader.GetString(4));
        json.WriteStartArray("messages");
        if (!reader.IsDBNull(5))
        {
            using var asked = JsonDocument.Parse(reader.GetString(5));
            foreach (var message in asked.RootElement.EnumerateArray())
            {
                message.WriteTo(json);
            }
        }

        json.WriteStartObject();
        json.WriteString("role", "assistant");
        json.WriteString("content", reader.IsDBNull(6) ? "" : reader.GetString(6));
        json.WriteEndObject();
        json.WriteEndArray();
    }

    /// <summary>
    /// A governor decision: the features as the user's message, the allocation as the assistant's, the
    /// village's reward, what the NPC's previous decision yielded (its progress and cost; null when unknown), and the
    /// price the policy decided at (null for one that prices nothing).
    /// </summary>
    private static void WriteGovernorExample(Utf8JsonWriter json, NpgsqlDataReader reader)
    {
        json.WriteString("model", reader.GetString(2));
        json.WriteNumber("reward", reader.GetDouble(10));
        foreach (var (name, column) in new[] { ("progress", 11), ("cost", 12), ("price", 13) })
        {
            if (reader.IsDBNull(column))
            {
                json.WriteNull(name);
            }
            else
            {
                json.WriteNumber(name, reader.GetDouble(column));
            }
        }
        var features = new System.Buffers.ArrayBufferWriter<byte>();
        using (var user = new Utf8JsonWriter(features))
        {
            user.WriteStartObject();
            user.WriteNumber("epoch", reader.GetInt64(3));
            user.WriteNumber("npc_id", reader.GetInt32(4));
            user.WriteStartArray("features");
            foreach (var feature in reader.GetFieldValue<float[]>(5))
            {
                user.WriteNumberValue(Math.Round(feature, 5));
            }

            user.WriteEndArray();
            user.WriteEndObject();
        }

        var allocation = $$"""{"tick_rate_hz": {{reader.GetDouble(6).ToString(CultureInfo.InvariantCulture)}}, "cpu_quota_percent": {{reader.GetDouble(7).ToString(CultureInfo.InvariantCulture)}}, "gate_open": {{(reader.GetBoolean(8) ? "true" : "false")}}, "llm_priority": {{reader.GetInt16(9).ToString(CultureInfo.InvariantCulture)}}}""";
        json.WriteStartArray("messages");
        foreach (var (role, content) in new[] { ("system", GovernorPrompt), ("user", System.Text.Encoding.UTF8.GetString(features.WrittenSpan)), ("assistant", allocation) })
        {
            json.WriteStartObject();
            json.WriteString("role", role);
            json.WriteString("content", content);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private int Fail(string problem)
    {
        error.WriteLine($"nimmerverse trails: {problem}\n\n{Usage}");
        return Program.ExitUsage;
    }
}
