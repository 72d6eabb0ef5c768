using System.Collections;
using Microsoft.Extensions.Configuration;

namespace Nimmerverse.Supervisor.Configuration;

/// <summary>
/// Maps <c>NIMMERVERSE_NATS__URL</c> to <c>Nimmerverse:Nats:Url</c>. The stock environment source
/// would need <c>NIMMERVERSE_Nimmerverse__Nats__Url</c>, which nobody would guess.
/// </summary>
internal static class NimmerverseEnvironmentVariables
{
    public const string Prefix = "NIMMERVERSE_";

    /// <summary>Names the config file, not an option, so it is not mapped into the tree.</summary>
    public const string ConfigFileVariable = "NIMMERVERSE_CONFIG";

    /// <summary>
    /// The environment switch of every process the project ships ("same image everywhere, only
    /// NIMMERVERSE_ENV changes"): <c>Nimmerverse:Environment</c>, checked against the file's value.
    /// </summary>
    public const string EnvironmentSwitch = Protocol.Environments.Variable;

    public static IConfigurationBuilder AddNimmerverseEnvironmentVariables(this IConfigurationBuilder builder, IDictionary variables)
    {
        var mapped = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in variables)
        {
            var name = (string)entry.Key;
            if (!name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)
                || name.Equals(ConfigFileVariable, StringComparison.OrdinalIgnoreCase)
                || name.Equals(EnvironmentSwitch, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var path = name[Prefix.Length..].Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal);
            mapped[ConfigurationPath.Combine(NimmerverseOptions.SectionName, path)] = entry.Value as string;
        }

        return builder.AddInMemoryCollection(mapped);
    }
}
