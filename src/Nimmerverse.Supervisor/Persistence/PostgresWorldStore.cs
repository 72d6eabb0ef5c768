using System.Text.Json;
using Nimmerverse.Actors.World;
using Npgsql;
using NpgsqlTypes;

namespace Nimmerverse.Supervisor.Persistence;

/// <summary>The grid world's snapshot in <c>world_state</c>, one row per environment, replaced on each save.</summary>
public sealed class PostgresWorldStore(NpgsqlDataSource dataSource, DatabaseStartup? startup = null) : IWorldStore
{
    public async Task<WorldSnapshot?> LoadAsync(string environment, CancellationToken cancellationToken)
    {
        await startup.SchemaReadyAsync(cancellationToken).ConfigureAwait(false);
        await using var command = dataSource.CreateCommand("select snapshot from world_state where environment = $1");
        command.Parameters.AddWithValue(environment);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string json
            ? JsonSerializer.Deserialize(json, WorldSnapshotJsonContext.Default.WorldSnapshot)
            : null;
    }

    public async Task SaveAsync(string environment, WorldSnapshot snapshot, CancellationToken cancellationToken)
    {
        await startup.SchemaReadyAsync(cancellationToken).ConfigureAwait(false);
        await using var command = dataSource.CreateCommand("""
            insert into world_state (environment, level, snapshot) values ($1, $2, $3)
            on conflict (environment) do update set level = excluded.level, snapshot = excluded.snapshot, saved_at = now()
            """);
        command.Parameters.AddWithValue(environment);
        command.Parameters.AddWithValue(snapshot.Level);
        command.Parameters.AddWithValue(NpgsqlDbType.Jsonb, JsonSerializer.Serialize(snapshot, WorldSnapshotJsonContext.Default.WorldSnapshot));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
