using Microsoft.Extensions.Hosting;
using Npgsql;
using Microsoft.Extensions.Logging;

namespace Nimmerverse.Supervisor.Persistence;

/// <summary>
/// Brings the schema up to date at start-up. PostgreSQL being away does not stop the daemon (the
/// organism lives on; checkpoint saves are answered with an error meanwhile): the migrations are
/// retried every few seconds until they succeed, and each failure is logged once per minute.
/// They run as the schema's owner (<paramref name="schemaOwner"/>, disposed once they are done)
/// where the daemon writes as a role of its own, else on <paramref name="dataSource"/>.
/// </summary>
public sealed class DatabaseStartup(NpgsqlDataSource dataSource, ILogger<DatabaseStartup> log, NpgsqlDataSource? schemaOwner = null) : BackgroundService
{
    private static readonly TimeSpan RetryEvery = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LogEvery = TimeSpan.FromMinutes(1);

    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True once the schema is at <see cref="SchemaMigrations.LatestVersion"/>.</summary>
    public bool Ready { get; private set; }

    /// <summary>Completes once the schema is at <see cref="SchemaMigrations.LatestVersion"/>.</summary>
    public Task WhenReady => _ready.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lastLogged = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var applied = await SchemaMigrations.ApplyAsync(schemaOwner ?? dataSource, stoppingToken).ConfigureAwait(false);
                if (schemaOwner is not null)
                {
                    await schemaOwner.DisposeAsync().ConfigureAwait(false);
                }

                log.LogInformation(
                    "PostgreSQL schema at version {SchemaVersion}{Applied}",
                    SchemaMigrations.LatestVersion,
                    applied.Count == 0 ? "" : $" (applied {string.Join(", ", applied)})");
                Ready = true;
                _ready.TrySetResult();
                return;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
            {
                if (DateTimeOffset.UtcNow - lastLogged >= LogEvery)
                {
                    log.LogWarning("PostgreSQL is not reachable ({Error}); migrations are retried every {RetryEvery}", e.Message, RetryEvery);
                    lastLogged = DateTimeOffset.UtcNow;
                }
            }

            await Task.Delay(RetryEvery, stoppingToken).ConfigureAwait(false);
        }
    }
}

/// <summary>The wait every store does before its first statement.</summary>
public static class DatabaseStartupWaits
{
    /// <summary>Completes once the schema is migrated; at once without a startup (a store a test made on a migrated database).</summary>
    public static Task SchemaReadyAsync(this DatabaseStartup? startup, CancellationToken cancellationToken) =>
        startup is null ? Task.CompletedTask : startup.WhenReady.WaitAsync(cancellationToken);
}
