using Npgsql;

namespace Nimmerverse.Testing.Postgres;

/// <summary>
/// A fresh, empty database on the real PostgreSQL that <c>./nimmerverse test</c> starts (its
/// connection string is <c>NIMMERVERSE_POSTGRES__CONNECTIONSTRING</c>), owned by the same role
/// and dropped again at the end. Created as the <c>postgres</c> superuser, which the private
/// cluster trusts on loopback.
/// </summary>
public sealed class PostgresTestDatabase : IAsyncDisposable
{
    public const string ConnectionVariable = "NIMMERVERSE_POSTGRES__CONNECTIONSTRING";

    private readonly NpgsqlConnectionStringBuilder _admin;

    private PostgresTestDatabase(NpgsqlConnectionStringBuilder admin, string name, string connectionString)
    {
        _admin = admin;
        Name = name;
        ConnectionString = connectionString;
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public static async Task<PostgresTestDatabase> CreateAsync()
    {
        var configured = Environment.GetEnvironmentVariable(ConnectionVariable)
            ?? throw new InvalidOperationException($"{ConnectionVariable} is not set: run the suites through ./nimmerverse test, which starts PostgreSQL");
        var database = new NpgsqlConnectionStringBuilder(configured);
        var admin = new NpgsqlConnectionStringBuilder(configured) { Username = "postgres", Database = "postgres", Pooling = false };
        var name = $"nv_test_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(admin.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"create database {name} owner \"{database.Username}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        database.Database = name;
        return new PostgresTestDatabase(admin, name, database.ConnectionString);
    }

    public NpgsqlDataSource DataSource() => NpgsqlDataSource.Create(ConnectionString);

    /// <summary>
    /// The same database reached through the server's Unix socket, for processes in another network namespace
    /// (<see cref="Cluster.HostNetwork"/>): a file path crosses a namespace where 127.0.0.1 does not.
    /// </summary>
    public async Task<string> SocketConnectionStringAsync()
    {
        await using var connection = new NpgsqlConnection(_admin.ConnectionString);
        await connection.OpenAsync();
        await using var show = new NpgsqlCommand("select split_part(current_setting('unix_socket_directories'), ',', 1)", connection);
        var directory = ((string)(await show.ExecuteScalarAsync())!).Trim();
        return new NpgsqlConnectionStringBuilder(ConnectionString) { Host = directory }.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_admin.ConnectionString);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"drop database if exists {Name} with (force)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
