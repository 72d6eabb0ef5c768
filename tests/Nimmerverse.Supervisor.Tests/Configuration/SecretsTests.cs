using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Supervisor.Persistence;
using Nimmerverse.Testing;
using Npgsql;

namespace Nimmerverse.Supervisor.Tests.Configuration;

/// <summary>
/// Passwords come from files readable by their owner only (or systemd credentials), are checked at
/// start, and never printed by check-config.
/// </summary>
[Category(TestTier.Unit)]
[NonParallelizable] // one test sets CREDENTIALS_DIRECTORY, as systemd does for the unit
public sealed class SecretsTests
{
    private string _directory = null!;

    [SetUp]
    public void MakeDirectory() => _directory = Directory.CreateTempSubdirectory("nv-secrets-").FullName;

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_directory, recursive: true);

    private string PasswordFile(string name, string password, UnixFileMode mode)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, password);
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(path, mode);
        }

        return path;
    }

    private static NimmerverseOptions WithPostgres(PostgresOptions postgres) =>
        new() { Postgres = postgres, Npc = new Actors.Npc.NpcHostSettings { Population = 0 }, Organs = new Actors.Organs.OrganManagerSettings { Executable = RepositoryPaths.OrganExecutable } };

    [Test]
    public void The_password_files_are_read_into_the_connection_strings_without_their_trailing_newline()
    {
        var options = new PostgresOptions
        {
            ConnectionString = "Host=db;Database=nimmerverse;Username=nimmerverse",
            PasswordFile = PasswordFile("writer", "w-secret\n", UnixFileMode.UserRead),
            MigrationConnectionString = "Host=db;Database=nimmerverse;Username=nimmerverse_owner",
            MigrationPasswordFile = PasswordFile("owner", "o-secret", UnixFileMode.UserRead),
        };

        Assert.That(new NpgsqlConnectionStringBuilder(PostgresConnections.Writer(options)).Password, Is.EqualTo("w-secret"));
        Assert.That(new NpgsqlConnectionStringBuilder(PostgresConnections.Owner(options)).Password, Is.EqualTo("o-secret"));
        Assert.That(PostgresConnections.Owner(options with { MigrationConnectionString = null }), Is.Null, "one role owns and writes");
        Assert.That(WithPostgres(options).ValidateInstallation(), Is.Empty);
    }

    [Test]
    public void A_password_file_others_can_read_or_that_is_missing_stops_the_start_naming_the_key()
    {
        var open = WithPostgres(new PostgresOptions { PasswordFile = PasswordFile("writer", "secret", UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead) });
        var missing = WithPostgres(new PostgresOptions { MigrationConnectionString = "Host=db;Database=x;Username=owner", MigrationPasswordFile = Path.Combine(_directory, "absent") });

        Assert.That(open.ValidateInstallation().Select(e => (e.Key, e.Problem)), Has.One.Matches<(string Key, string Message)>(e => e.Key == "Nimmerverse:Postgres:PasswordFile" && e.Message.Contains("chmod 0400", StringComparison.Ordinal)));
        Assert.That(missing.ValidateInstallation().Select(e => e.Key), Is.EqualTo(new[] { "Nimmerverse:Postgres:MigrationPasswordFile" }));
    }

    [Test]
    public void Without_a_file_in_the_options_the_units_credential_is_used()
    {
        var previous = Environment.GetEnvironmentVariable("CREDENTIALS_DIRECTORY");
        PasswordFile(PostgresOptions.PasswordCredential, "from-systemd", UnixFileMode.UserRead);
        Environment.SetEnvironmentVariable("CREDENTIALS_DIRECTORY", _directory);
        try
        {
            Assert.That(new NpgsqlConnectionStringBuilder(PostgresConnections.Writer(new PostgresOptions())).Password, Is.EqualTo("from-systemd"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("CREDENTIALS_DIRECTORY", previous);
        }
    }

    [Test]
    public void Check_config_prints_no_password()
    {
        var options = new NimmerverseOptions
        {
            Postgres = new PostgresOptions { ConnectionString = "Host=db;Database=x;Username=u;Password=hunter2", MigrationConnectionString = "Host=db;Database=x;Username=o;Password=swordfish" },
            Nats = new Actors.Nats.NatsBridgeSettings { Url = "nats://bridge:opensesame@127.0.0.1:4222" },
        };

        var printed = System.Text.Json.JsonSerializer.Serialize(options.Redacted(), OptionsJsonContext.Default.NimmerverseOptions);

        Assert.That(printed, Does.Not.Contain("hunter2").And.Not.Contain("swordfish").And.Not.Contain("opensesame"));
        Assert.That(printed, Does.Contain("username=u").IgnoreCase.And.Contain("127.0.0.1:4222"), "the rest is shown");
    }
}
