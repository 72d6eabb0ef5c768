using Nimmerverse.Supervisor.Configuration;
using Npgsql;

namespace Nimmerverse.Supervisor.Persistence;

/// <summary>
/// The two connection strings the daemon uses, each with its password read from its file: the
/// writer's (everything the daemon does) and the schema owner's (the migrations at start).
/// </summary>
public static class PostgresConnections
{
    public static string Writer(PostgresOptions options) =>
        WithPassword(options.ConnectionString, PasswordFileOf(options.PasswordFile, PostgresOptions.PasswordCredential));

    /// <summary>The owner's, or null when one role owns and writes (<c>MigrationConnectionString</c> unset).</summary>
    public static string? Owner(PostgresOptions options) =>
        string.IsNullOrEmpty(options.MigrationConnectionString)
            ? null
            : WithPassword(options.MigrationConnectionString, PasswordFileOf(options.MigrationPasswordFile, PostgresOptions.MigrationPasswordCredential));

    /// <summary>
    /// The password files the options name or the unit provides, each with its key, for the installation
    /// check: each must exist and be readable by its owner only.
    /// </summary>
    public static IEnumerable<(string Key, string Path)> PasswordFiles(PostgresOptions options)
    {
        if (PasswordFileOf(options.PasswordFile, PostgresOptions.PasswordCredential) is { } writer)
        {
            yield return ("Postgres:PasswordFile", writer);
        }

        if (!string.IsNullOrEmpty(options.MigrationConnectionString)
            && PasswordFileOf(options.MigrationPasswordFile, PostgresOptions.MigrationPasswordCredential) is { } owner)
        {
            yield return ("Postgres:MigrationPasswordFile", owner);
        }
    }

    /// <summary>Why <paramref name="path"/> cannot hold a password, or null.</summary>
    public static string? PasswordFileProblem(string path)
    {
        if (!File.Exists(path))
        {
            return $"'{path}' does not exist";
        }

        const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        return OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & others) == 0
            ? null
            : $"'{path}' is readable by others (mode {Convert.ToString((int)File.GetUnixFileMode(path), 8)}); it holds a password: chmod 0400 it";
    }

    /// <summary>The configured file, else the systemd credential of that name when the unit loads one (<c>$CREDENTIALS_DIRECTORY</c>), else null.</summary>
    private static string? PasswordFileOf(string? configured, string credential)
    {
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        return Environment.GetEnvironmentVariable("CREDENTIALS_DIRECTORY") is { Length: > 0 } credentials && File.Exists(Path.Combine(credentials, credential))
            ? Path.Combine(credentials, credential)
            : null;
    }

    private static string WithPassword(string connectionString, string? passwordFile) =>
        passwordFile is null
            ? connectionString
            : new NpgsqlConnectionStringBuilder(connectionString) { Password = File.ReadAllText(passwordFile).TrimEnd('\r', '\n') }.ConnectionString;
}
