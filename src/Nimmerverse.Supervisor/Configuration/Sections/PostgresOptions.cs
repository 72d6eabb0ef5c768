using System.Data.Common;
using Nimmerverse.Actors.Configuration;

namespace Nimmerverse.Supervisor.Configuration;

/// <summary>Section <c>Nimmerverse:Postgres</c> (phoebe).</summary>
public sealed record PostgresOptions : IOptionsSection
{
    /// <summary>Npgsql connection string. Default <c>Host=127.0.0.1;Port=5432;Database=nimmerverse;Username=nimmerverse</c>.</summary>
    public string ConnectionString { get; init; } = "Host=127.0.0.1;Port=5432;Database=nimmerverse;Username=nimmerverse";

    public void Validate(OptionProblems problems)
    {
        var builder = new DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = ConnectionString;
        }
        catch (ArgumentException e)
        {
            problems.Add("ConnectionString", $"cannot be parsed: {e.Message}");
            return;
        }

        foreach (var required in new[] { "Host", "Database" })
        {
            if (!builder.TryGetValue(required, out var value) || string.IsNullOrWhiteSpace(value?.ToString()))
            {
                problems.Add("ConnectionString", $"has no {required}=");
            }
        }
    }
}
