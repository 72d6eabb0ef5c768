using Nimmerverse.Testing.Postgres;
using Npgsql;

namespace Nimmerverse.Supervisor.Tests.Persistence;

/// <summary>Each test on a fresh, empty database of the real PostgreSQL, dropped afterwards.</summary>
public abstract class FreshDatabaseTest
{
    protected PostgresTestDatabase Database { get; private set; } = null!;

    protected NpgsqlDataSource DataSource { get; private set; } = null!;

    [SetUp]
    public async Task CreateDatabase()
    {
        Database = await PostgresTestDatabase.CreateAsync();
        DataSource = Database.DataSource();
    }

    [TearDown]
    public async Task DropDatabase()
    {
        await DataSource.DisposeAsync();
        await Database.DisposeAsync();
    }
}
