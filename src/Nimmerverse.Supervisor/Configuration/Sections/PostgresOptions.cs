using System.Data.Common;
using Nimmerverse.Actors.Configuration;

namespace Nimmerverse.Supervisor.Configuration;

/// <summary>
/// Section <c>Nimmerverse:Postgres</c> (phoebe). The daemon writes as one role and migrates the
/// schema as another, its owner; passwords come from files (systemd credentials), never from a
/// command line. See docs/security.md for the roles.
/// </summary>
public sealed record PostgresOptions : IOptionsSection
{
    /// <summary>The systemd credential (<c>LoadCredential=</c>) read for <see cref="PasswordFile"/> when that is unset.</summary>
    public const string PasswordCredential = "postgres-password";

    /// <summary>The systemd credential read for <see cref="MigrationPasswordFile"/> when that is unset.</summary>
    public const string MigrationPasswordCredential = "postgres-migration-password";

    /// <summary>Npgsql connection string of the role the daemon writes as. Default <c>Host=127.0.0.1;Port=5432;Database=nimmerverse;Username=nimmerverse</c>.</summary>
    public string ConnectionString { get; init; } = "Host=127.0.0.1;Port=5432;Database=nimmerverse;Username=nimmerverse";

    /// <summary>The schema owner's connection string, for the migrations at start. Unset: <see cref="ConnectionString"/> (one role owns and writes).</summary>
    public string? MigrationConnectionString { get; init; }

    /// <summary>
    /// A file holding the password of <see cref="ConnectionString"/>'s role, readable by its owner only.
    /// Unset: the systemd credential <c>postgres-password</c> when the unit loads one, else none.
    /// </summary>
    public string? PasswordFile { get; init; }

    /// <summary>The same for <see cref="MigrationConnectionString"/>; unset: the credential <c>postgres-migration-password</c>, else none.</summary>
    public string? MigrationPasswordFile { get; init; }

    public void Validate(OptionProblems problems)
    {
        ValidateConnectionString(problems, "ConnectionString", ConnectionString);
        if (!string.IsNullOrEmpty(MigrationConnectionString))
        {
            ValidateConnectionString(problems, "MigrationConnectionString", MigrationConnectionString);
        }

        foreach (var (key, file) in new[] { ("PasswordFile", PasswordFile), ("MigrationPasswordFile", MigrationPasswordFile) })
        {
            if (!string.IsNullOrEmpty(file) && !Path.IsPathFullyQualified(file))
            {
                problems.Add(key, $"'{file}' is not an absolute path");
            }
        }
    }

    /// <summary>These options with every password in a connection string replaced, for printing.</summary>
    public PostgresOptions Redacted() => this with
    {
        ConnectionString = RedactPassword(ConnectionString)!,
        MigrationConnectionString = RedactPassword(MigrationConnectionString),
    };

    private static string? RedactPassword(string? connectionString)
    {
        if (string.IsNullOrEmpty(connectionString))
        {
            return connectionString;
        }

        var builder = new DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = connectionString;
        }
        catch (ArgumentException)
        {
            return "(cannot be parsed; not shown)";
        }

        foreach (var key in new[] { "Password", "Pwd" })
        {
            if (builder.ContainsKey(key))
            {
                builder[key] = "********";
            }
        }

        return builder.ConnectionString;
    }

    private static void ValidateConnectionString(OptionProblems problems, string key, string connectionString)
    {
        var builder = new DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = connectionString;
        }
        catch (ArgumentException e)
        {
            problems.Add(key, $"cannot be parsed: {e.Message}");
            return;
        }

        foreach (var required in new[] { "Host", "Database" })
        {
            if (!builder.TryGetValue(required, out var value) || string.IsNullOrWhiteSpace(value?.ToString()))
            {
                problems.Add(key, $"has no {required}=");
            }
        }
    }
}
