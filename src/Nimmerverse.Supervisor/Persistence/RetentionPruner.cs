using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Nimmerverse.Supervisor.Persistence;

/// <summary>
/// Keeps the database from growing forever: every hour it deletes what is older than <c>Trails:Retention</c>
/// from the trails, gate transitions, NPC samples, operator actions and dead letters, a batch at a time so
/// that no delete holds a table for long. At 25 NPCs the governor alone writes about two million decision
/// trails a day. It runs where the governor runs (the members that write most); on two such members the
/// second finds little left to delete. Retention 0 keeps everything.
/// </summary>
public sealed class RetentionPruner(NpgsqlDataSource dataSource, TrailRecorderSettings settings, DatabaseStartup startup, TimeProvider clock, ILogger<RetentionPruner> log) : BackgroundService
{
    /// <summary>Each table and the column its rows are dated by.</summary>
    public static readonly IReadOnlyList<(string Table, string Column)> Tables =
    [
        ("decision_trails", "decided_at"), ("gate_transitions", "occurred_at"), ("cortex_trails", "occurred_at"), ("organ_trails", "occurred_at"),
        ("npc_samples", "sampled_at"), ("operator_actions", "occurred_at"), ("dead_letters", "set_aside_at"),
    ];

    public const int BatchRows = 10_000;

    private static readonly TimeSpan Every = TimeSpan.FromHours(1);

    /// <summary>Deletes what is older than the retention from every table; returns the rows deleted per table.</summary>
    public async Task<IReadOnlyDictionary<string, long>> PruneAsync(CancellationToken cancellationToken)
    {
        var before = clock.GetUtcNow() - settings.Retention;
        var deleted = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (table, column) in Tables)
        {
            long total = 0;
            int rows;
            do
            {
                // ctid batches: a bounded delete, no long lock, no long transaction.
                await using var command = dataSource.CreateCommand($"delete from {table} where ctid in (select ctid from {table} where {column} < $1 limit {BatchRows})");
                command.Parameters.Add(new NpgsqlParameter { Value = before, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
                rows = await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                total += rows;
            }
            while (rows == BatchRows);

            deleted[table] = total;
        }

        return deleted;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (settings.Retention == TimeSpan.Zero)
        {
            log.LogInformation("Trails:Retention is 0: trails, samples and actions are kept forever");
            return;
        }

        while (!startup.Ready)
        {
            await Task.Delay(TimeSpan.FromSeconds(5), clock, stoppingToken).ConfigureAwait(false);
        }

        using var timer = new PeriodicTimer(Every, clock);
        do
        {
            try
            {
                var deleted = await PruneAsync(stoppingToken).ConfigureAwait(false);
                if (deleted.Values.Sum() > 0)
                {
                    log.LogInformation("Deleted rows older than {Retention}: {Deleted}", settings.Retention, string.Join(", ", deleted.Where(d => d.Value > 0).Select(d => $"{d.Key} {d.Value}")));
                }
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                log.LogWarning("Pruning old rows failed; trying again in {Interval}: {Error}", Every, e.GetBaseException().Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
