using System.Collections;
using System.Reflection;
using System.ComponentModel;
using Microsoft.Extensions.Configuration;
using Nimmerverse.Actors.Configuration;

namespace Nimmerverse.Supervisor.Configuration;

/// <summary>
/// Builds the configuration from its three sources, binds <see cref="NimmerverseOptions"/> and
/// validates it. Every problem is reported with the full key it concerns; nothing is guessed.
/// </summary>
public static class ConfigurationLoader
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

        configuration = WithEnvironmentSwitch(configuration, environmentVariables[NimmerverseEnvironmentVariables.EnvironmentSwitch] as string);
        var section = configuration.GetSection(NimmerverseOptions.SectionName);
        var errors = new List<ConfigurationError>();
        var unreadable = new List<string>();
        CheckKeysAndTypes(section, NimmerverseOptions.SectionName, typeof(NimmerverseOptions), errors, unreadable);
        if (unreadable.Count > 0)
        {
            // The binder would fail on these values: they are reported, and taken out (keys match without
            // regard to case) so that every other value is still bound and checked, and all problems told at once.
            section = new ConfigurationBuilder()
                .AddConfiguration(configuration)
                .AddInMemoryCollection(unreadable.Select(key => new KeyValuePair<string, string?>(key, null)))
                .Build()
                .GetSection(NimmerverseOptions.SectionName);
        }

        var options = new NimmerverseOptions();
        section.Bind(options); // unknown keys, already reported, are left alone by it
        errors.AddRange(options.Validate().Where(e => !unreadable.Contains(e.Key, StringComparer.OrdinalIgnoreCase))); // one error per key
        if (errors.Count > 0)
        {
            throw new ConfigurationException(errors);
        }

        return new Loaded(configuration, options, File.Exists(configFile) ? Path.GetFullPath(configFile) : null);
    }

    /// <summary>
    /// <c>NIMMERVERSE_ENV</c> sets <c>Nimmerverse:Environment</c>. The key may be set too (in the file,
    /// or as <c>NIMMERVERSE_ENVIRONMENT</c>); if both are set they must agree: a host whose file says
    /// prod while its unit says dev is a mistake to stop at, not a precedence rule to look up.
    /// </summary>
    private static IConfigurationRoot WithEnvironmentSwitch(IConfigurationRoot configuration, string? environmentSwitch)
    {
        if (string.IsNullOrEmpty(environmentSwitch))
        {
            return configuration;
        }

        var key = ConfigurationPath.Combine(NimmerverseOptions.SectionName, nameof(NimmerverseOptions.Environment));
        if (!Protocol.Environments.IsKnown(environmentSwitch))
        {
            throw new ConfigurationException([new ConfigurationError(NimmerverseEnvironmentVariables.EnvironmentSwitch, $"'{environmentSwitch}' is not one of {Protocol.Environments.Listed}")]);
        }

        if (configuration[key] is { } configured && configured != environmentSwitch)
        {
            throw new ConfigurationException([new ConfigurationError(NimmerverseEnvironmentVariables.EnvironmentSwitch,
                $"is '{environmentSwitch}' but {key} is '{configured}' (from the configuration file or NIMMERVERSE_ENVIRONMENT); set one of them, or both alike")]);
        }

        return new ConfigurationBuilder()
            .AddConfiguration(configuration)
            .AddInMemoryCollection([new KeyValuePair<string, string?>(key, environmentSwitch)])
            .Build();
    }

    /// <summary>
    /// Every key must be an option, and every value readable as its option's type, before anything
    /// is bound (the keys of unreadable values go to <c>unreadable</c>): a misspelt key would otherwise
    /// be ignored silently and its default used (that is how a production host ends up talking to the
    /// wrong database), and a value of the wrong type would surface as the binder's exception, whose
    /// text no one should have to parse.
    /// </summary>
    private static void CheckKeysAndTypes(IConfigurationSection section, string key, Type type, List<ConfigurationError> errors, List<string> unreadable)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite)
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var child in section.GetChildren())
        {
            if (!properties.TryGetValue(child.Key, out var property))
            {
                errors.Add(new ConfigurationError($"{key}:{child.Key}", $"unknown key; known keys here: {string.Join(", ", properties.Keys)}"));
                continue;
            }

            // Errors name the key as the documentation writes it, whatever the case it was given in.
            var path = $"{key}:{property.Name}";
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (propertyType.IsArray)
            {
                foreach (var element in child.GetChildren())
                {
                    CheckValue(element.Value, propertyType.GetElementType()!, $"{path}:{element.Key}", errors, unreadable);
                }
            }
            else if (propertyType.IsGenericType && propertyType.GetGenericTypeDefinition() == typeof(Dictionary<,>))
            {
                foreach (var element in child.GetChildren())
                {
                    CheckValue(element.Value, propertyType.GetGenericArguments()[1], $"{path}:{element.Key}", errors, unreadable);
                }
            }
            else if (propertyType.IsClass && propertyType != typeof(string))
            {
                CheckKeysAndTypes(child, path, propertyType, errors, unreadable);
            }
            else
            {
                CheckValue(child.Value, propertyType, path, errors, unreadable);
            }
        }
    }

    /// <summary>The binder reads a value with its type's converter, invariant culture; so does this check.</summary>
    private static void CheckValue(string? value, Type type, string key, List<ConfigurationError> errors, List<string> unreadable)
    {
        if (value is null || type == typeof(string))
        {
            return;
        }

        bool readable;
        try
        {
            readable = TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value) is not null;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or OverflowException || e.InnerException is FormatException or OverflowException)
        {
            readable = false;
        }

        if (!readable)
        {
            errors.Add(new ConfigurationError(key, $"'{value}' cannot be read as {TypeName(type)}"));
            unreadable.Add(key);
        }
    }

    private static string TypeName(Type type) => type == typeof(TimeSpan) ? "a duration ([d.]hh:mm:ss[.fff])" : type == typeof(bool) ? "true or false" : $"a number ({type.Name})";
}
