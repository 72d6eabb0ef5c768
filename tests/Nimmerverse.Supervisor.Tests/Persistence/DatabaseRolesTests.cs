using Microsoft.Extensions.Logging.Abstractions;
using Nimmerverse.Supervisor.Persistence;
using Nimmerverse.Testing;
using Npgsql;

namespace Nimmerverse.Supervisor.Tests.Persistence;

/// <summary>
/// The three roles on a real PostgreSQL: the owner migrates, the daemon's role (a member of
/// nimmerverse_writer) reads and writes rows but cannot change or drop the schema, and a researcher
/// (a member of nimmerverse_reader) only reads.
/// </summary>
[Category(TestTier.Integration)]
public sealed class DatabaseRolesTests : FreshDatabaseTest
{
    private readonly string _writer = $"nv_test_writer_{Guid.NewGuid():N}"[..40];
    private readonly string _researcher = $"nv_test_reader_{Guid.NewGuid():N}"[..40];

    private async Task AsSuperuserAsync(string sql)
    {
        var admin = new NpgsqlConnectionStringBuilder(Database.ConnectionString) { Username = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(admin.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private NpgsqlDataSource As(string role) =>
        NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Database.ConnectionString) { Username = role, Pooling = false }.ConnectionString);

    private static async Task<string?> RefusalAsync(NpgsqlDataSource source, string sql)
    {
        await using var command = source.CreateCommand(sql);
        try
        {
            await command.ExecuteNonQueryAsync();
            return null;
        }
        catch (PostgresException e)
        {
            return e.SqlState;
        }
    }

    [SetUp]
    public async Task MakeTheRoles()
    {
        // The group roles as ./nimmerverse up and docs/security.md make them (cluster-wide, so perhaps already there).
        foreach (var group in new[] { SchemaMigrations.WriterRole, SchemaMigrations.ReaderRole })
        {
            await AsSuperuserAsync($"do $$ begin create role {group} nologin; exception when duplicate_object then null; end $$");
        }

        await AsSuperuserAsync($"create role {_writer} login in role {SchemaMigrations.WriterRole}");
        await AsSuperuserAsync($"create role {_researcher} login in role {SchemaMigrations.ReaderRole}");
    }

    [TearDown]
    public async Task DropTheLoginRoles()
    {
        NpgsqlConnection.ClearAllPools();
        await AsSuperuserAsync($"drop owned by {_writer}, {_researcher} cascade; drop role {_writer}; drop role {_researcher}");
    }

    [Test]
    public async Task The_owner_migrates_the_writer_writes_rows_only_and_the_reader_reads_only()
    {
        // The database's owner runs the migrations at start, as the daemon does with MigrationConnectionString.
        await using var writerSource = As(_writer);
        var startup = new DatabaseStartup(writerSource, NullLogger<DatabaseStartup>.Instance, schemaOwner: Database.DataSource());
        await startup.StartAsync(default);
        await startup.WhenReady.WaitAsync(TimeSpan.FromSeconds(30));
        await using var reader = As(_researcher);

        const string insert = "insert into dead_letters (path, payload, reason) values ('test', '\\x00', 'roles')";
        Assert.That(await RefusalAsync(writerSource, insert), Is.Null, "the writer adds rows (its sequence too)");
        Assert.That(await RefusalAsync(writerSource, "delete from dead_letters where reason = 'roles'"), Is.Null, "and removes them");
        Assert.That(await RefusalAsync(writerSource, "create table intruder (x int)"), Is.EqualTo(PostgresErrorCodes.InsufficientPrivilege), "the writer creates nothing");
        Assert.That(await RefusalAsync(writerSource, "drop table npc_checkpoints"), Is.EqualTo(PostgresErrorCodes.InsufficientPrivilege), "and drops nothing");
        Assert.That(await RefusalAsync(writerSource, "alter table decision_trails add column x int"), Is.EqualTo(PostgresErrorCodes.InsufficientPrivilege));

        Assert.That(await RefusalAsync(reader, "select count(*) from decision_trails"), Is.Null, "the reader reads every table");
        Assert.That(await RefusalAsync(reader, "select count(*) from npc_checkpoints"), Is.Null);
        Assert.That(await RefusalAsync(reader, insert), Is.EqualTo(PostgresErrorCodes.InsufficientPrivilege), "and writes nothing");
        Assert.That(await RefusalAsync(reader, "delete from gate_transitions"), Is.EqualTo(PostgresErrorCodes.InsufficientPrivilege));
    }
}
