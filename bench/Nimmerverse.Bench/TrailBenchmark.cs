using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Nimmerverse.Actors.Governor;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Persistence;
using Nimmerverse.Testing.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace Nimmerverse.Bench;

/// <summary>
/// Decision trails per second through our recorder (hand-over, batching, binary COPY, the
/// duplicate-safe store) against a raw Npgsql binary COPY of the same rows in batches of the same
/// size, into the same table of a private PostgreSQL, alternating three rounds each.
/// </summary>
internal static class TrailBenchmark
{
    public static async Task RunAsync(int rows)
    {
        await using var server = await PrivatePostgres.StartAsync();
        await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString.Replace("Pooling=false", "Pooling=true", StringComparison.Ordinal));
        await SchemaMigrations.ApplyAsync(dataSource, default);
        var trails = Enumerable.Range(0, rows).Select(i => new DecisionTrail(
            Guid.NewGuid(), i / 2500, i % 2500, "theia", "learned", DateTimeOffset.UtcNow,
            [.. Enumerable.Range(0, 12).Select(f => (float)(i * f % 97) / 97)],
            new NpcAllocation(i % 2500, 5, 25, i % 3 == 0, i % 11), 0.5, 1.25)).ToList();
        var spool = Path.Combine(Path.GetTempPath(), $"nv-bench-{Guid.NewGuid():N}.spool");

        Console.WriteLine($"Decision trails: {rows:N0} rows per round, batches of 5,000, private PostgreSQL on 127.0.0.1:{server.Port}");
        var ours = new List<double>();
        var raw = new List<double>();
        for (var round = 0; round < 3; round++)
        {
            await TruncateAsync(dataSource);
            raw.Add(await RawAsync(dataSource, trails));
            await TruncateAsync(dataSource);
            ours.Add(await OursAsync(dataSource, trails, spool));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round + 1}: raw COPY {raw[^1],9:N0} rows/s, recorder {ours[^1],9:N0} rows/s"));
        }

        var (oursMedian, rawMedian) = (ours.Order().ElementAt(1), raw.Order().ElementAt(1));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"median: raw {rawMedian:N0} rows/s, recorder {oursMedian:N0} rows/s, ratio {oursMedian / rawMedian:F2} (target >= 0.80)"));
        File.Delete(spool);
    }

    private static async Task<double> OursAsync(NpgsqlDataSource dataSource, List<DecisionTrail> trails, string spool)
    {
        var clock = Stopwatch.StartNew();
        var recorder = new DecisionTrailRecorder(new PostgresDecisionTrailStore(dataSource, new PostgresDeadLetters(dataSource)), new TrailRecorderSettings { SpoolPath = spool, BatchSize = 5000, QueueCapacity = trails.Count }, NullLogger<DecisionTrailRecorder>.Instance);
        foreach (var trail in trails)
        {
            recorder.Record(trail);
        }

        while (recorder.Stored + recorder.Lost < trails.Count)
        {
            await Task.Delay(1);
        }

        var seconds = clock.Elapsed.TotalSeconds;
        await recorder.DisposeAsync();
        if (recorder.Lost > 0 || recorder.Spooled > 0)
        {
            throw new InvalidOperationException($"the recorder lost or spooled rows: {recorder.Describe()}");
        }

        return trails.Count / seconds;
    }

    private static async Task<double> RawAsync(NpgsqlDataSource dataSource, List<DecisionTrail> trails)
    {
        var clock = Stopwatch.StartNew();
        foreach (var chunk in trails.Chunk(5000))
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var importer = await connection.BeginBinaryImportAsync(
                "copy decision_trails (message_id, epoch, npc_id, host, policy, decided_at, inputs, tick_rate_hz, cpu_quota_percent, gate_open, llm_priority, reward, latency_ms) from stdin (format binary)");
            foreach (var t in chunk)
            {
                await importer.StartRowAsync();
                await importer.WriteAsync(t.MessageId, NpgsqlDbType.Uuid);
                await importer.WriteAsync(t.Epoch, NpgsqlDbType.Bigint);
                await importer.WriteAsync(t.NpcId, NpgsqlDbType.Integer);
                await importer.WriteAsync(t.Host, NpgsqlDbType.Text);
                await importer.WriteAsync(t.Policy, NpgsqlDbType.Text);
                await importer.WriteAsync(t.DecidedAt.UtcDateTime, NpgsqlDbType.TimestampTz);
                await importer.WriteAsync(t.Inputs, NpgsqlDbType.Array | NpgsqlDbType.Real);
                await importer.WriteAsync(t.Output.TickRateHz, NpgsqlDbType.Double);
                await importer.WriteAsync(t.Output.CpuQuotaPercent, NpgsqlDbType.Double);
                await importer.WriteAsync(t.Output.GateOpen, NpgsqlDbType.Boolean);
                await importer.WriteAsync((short)t.Output.LlmPriority, NpgsqlDbType.Smallint);
                await importer.WriteAsync(t.Reward, NpgsqlDbType.Double);
                await importer.WriteAsync(t.LatencyMs, NpgsqlDbType.Double);
            }

            await importer.CompleteAsync();
        }

        return trails.Count / clock.Elapsed.TotalSeconds;
    }

    private static async Task TruncateAsync(NpgsqlDataSource dataSource)
    {
        await using var truncate = dataSource.CreateCommand("truncate decision_trails");
        await truncate.ExecuteNonQueryAsync();
    }
}
