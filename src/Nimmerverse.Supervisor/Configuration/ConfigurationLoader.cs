using System.Collections;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

using Nimmerverse.Actors.Configuration;

namespace Nimmerverse.Supervisor.Configuration;

/// <summary>
/// Builds the configuration from its three sources, binds <see cref="NimmerverseOptions"/> and
/// validates it. Every problem is reported with the full key it concerns; nothing is guessed.
/// </summary>
public static partial class ConfigurationLoader
{
    public const string DefaultConfigFile = "/etc/nimmerverse/nimmerverse.json";

    /// <summary>The result of a successful load: the raw configuration (for the host) and the validated options.</summary>
    public sealed record Loaded(IConfigurationRoot Configuration, NimmerverseOptions Options, string? ConfigFile);

    /// <param name="explicitConfigFile">From <c>--config</c>; must exist when given.</param>
    /// <param name="environmentVariables">Usually <see cref="Environment.GetEnvironmentVariables()"/>; tests pass their own.</param>
    /// <param name="baseDirectory">Where <c>appsettings.json</c> is looked for.</param>
    /// <exception cref="ConfigurationException">When any value is unusable.</exception>
    public static Loaded Load(string? explicitConfigFile, IDictionary environmentVariables, string baseDirectory)
    {
        var configFile = explicitConfigFile ?? environmentVariables[NimmerverseEnvironmentVariables.ConfigFileVariable] as string;
        var required = configFile is not null;
        configFile ??= DefaultConfigFile;
        if (required && !File.Exists(configFile))
        {
            throw new ConfigurationException([new ConfigurationError("--config", $"the file '{configFile}' does not exist")]);
        }

        IConfigurationRoot configuration;
        try
        {
            configuration = new ConfigurationBuilder()
                .AddJsonFile(Path.Combine(baseDirectory, "appsettings.json"), optional: true, reloadOnChange: false)
                .AddJsonFile(Path.GetFullPath(configFile), optional: true, reloadOnChange: false)
                .AddNimmerverseEnvironmentVariables(environmentVariables)
                .Build();
        }
        catch (InvalidDataException e)
        {
            throw new ConfigurationException([new ConfigurationError(configFile, $"not valid JSON: {e.InnerException?.Message ?? e.Message}")]);
        }

        var section = configuration.GetSection(NimmerverseOptions.SectionName);
        var errors = new List<ConfigurationError>();
        FindUnknownKeys(section, typeof(NimmerverseOptions), errors);

        var options = new NimmerverseOptions();
        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException e)
        {
            var key = BinderKey().Match(e.Message);
            var value = section.GetSection(key.Success ? key.Groups["key"].Value[(NimmerverseOptions.SectionName.Length + 1)..] : "").Value;
            errors.Add(new ConfigurationError(
                key.Success ? key.Groups["key"].Value : NimmerverseOptions.SectionName,
                key.Success ? $"'{value}' cannot be read as {key.Groups["type"].Value.Replace("System.", "", StringComparison.Ordinal)}" : e.Message));
        }

        errors.AddRange(options.Validate());
        if (errors.Count > 0)
        {
            throw new ConfigurationException(errors);
        }

        return new Loaded(configuration, options, File.Exists(configFile) ? Path.GetFullPath(configFile) : null);
    }

    /// <summary>
    /// A misspelt key would otherwise be ignored silently and its default used; that is how
    /// a production host ends up talking to the wrong database.
    /// </summary>
    private static void FindUnknownKeys(IConfigurationSection section, Type type, List<ConfigurationError> errors)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite)
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var child in section.GetChildren())
        {
            if (!properties.TryGetValue(child.Key, out var property))
            {
                errors.Add(new ConfigurationError(child.Path, $"unknown key; known keys here: {string.Join(", ", properties.Keys)}"));
                continue;
            }

            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (propertyType.IsClass && propertyType != typeof(string) && !propertyType.IsArray)
            {
                FindUnknownKeys(child, propertyType, errors);
            }
        }
    }

    [GeneratedRegex("at '(?<key>[^']+)' to type '(?<type>[^']+)'")]
    private static partial Regex BinderKey();
}
