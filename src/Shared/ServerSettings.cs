using Microsoft.Extensions.Configuration;

namespace Nimmerverse.Shared;

/// <summary>
/// How this repository's small servers (<c>nimmerverse-nyx</c>, <c>nimmerverse-organ</c>) read their
/// settings: a JSON file (<c>--config PATH</c>), then <c>NIMMERVERSE_*</c> variables, then the
/// command line's own overrides, one section bound strictly (an unknown key is an error). Any
/// problem is printed naming its key; the caller exits 78. Compiled into each server (a linked
/// file), as neither may reference the other.
/// </summary>
internal static class ServerSettings
{
    /// <summary>The settings, or null once every problem has been printed to <paramref name="error"/>.</summary>
    public static T? Load<T>(
        string program,
        string section,
        string? configFile,
        IReadOnlyDictionary<string, string?> overrides,
        Func<T, IReadOnlyList<(string Key, string Problem)>> validate,
        TextWriter error)
        where T : class, new()
    {
        var configuration = new ConfigurationBuilder();
        if (configFile is not null)
        {
            if (!File.Exists(configFile))
            {
                error.WriteLine($"{program}: the configuration file '{configFile}' does not exist");
                return null;
            }

            configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false);
        }

        configuration.AddEnvironmentVariables("NIMMERVERSE_").AddInMemoryCollection(overrides);
        T settings;
        try
        {
            settings = configuration.Build().GetSection(section).Get<T>(binder => binder.ErrorOnUnknownConfiguration = true) ?? new T();
        }
        catch (InvalidOperationException e)
        {
            error.WriteLine($"{program}: invalid configuration: {e.GetBaseException().Message}");
            return null;
        }

        var problems = validate(settings);
        foreach (var (key, problem) in problems)
        {
            error.WriteLine($"{program}: invalid configuration {key}: {problem}");
        }

        return problems.Count == 0 ? settings : null;
    }
}
