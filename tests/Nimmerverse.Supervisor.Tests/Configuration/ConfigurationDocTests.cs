using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Testing;
using Nimmerverse.Actors.Configuration;

namespace Nimmerverse.Supervisor.Tests.Configuration;

/// <summary>docs/configuration.md is the reference of every option: each key has a row with its real default.</summary>
[Category(TestTier.Unit)]
public sealed partial class ConfigurationDocTests
{
    private static readonly string DocPath = Path.Combine(RepositoryPaths.Root, "docs", "configuration.md");

    /// <summary>Defaults that depend on the machine or on another key, and how the doc says them.</summary>
    private static readonly Dictionary<string, string> DescribedDefaults = new()
    {
        ["HostName"] = "machine name",
        ["Roles"] = "all",
        ["Npc:BrainPath"] = "`brain/nimmerverse-brain` beside the daemon",
        ["Npc:SystemBus"] = "the system bus",
        ["Governor:HostCpuBudgetPercent"] = "75 × cores",
        ["Akka:PublicHostname"] = "`Akka:Hostname`",
        ["Organs:Executable"] = "`organ/nimmerverse-organ` beside the daemon",
    };

    [Test]
    public void Every_option_has_a_row_with_its_default()
    {
        var rows = DocumentedRows();
        var problems = new List<string>();
        foreach (var (key, value) in OptionDefaults(typeof(NimmerverseOptions), new NimmerverseOptions(), ""))
        {
            var expected = DescribedDefaults.TryGetValue(key, out var described) ? described : Shown(value);
            if (!rows.TryGetValue(key, out var documented))
            {
                problems.Add($"missing: | `{key}` | {expected} | ... |");
            }
            else if (documented != expected)
            {
                problems.Add($"{key}: the doc says {documented}, the code {expected}");
            }
        }

        Assert.That(problems, Is.Empty, string.Join('\n', problems));
    }

    [Test]
    public void The_doc_has_no_row_for_an_option_that_does_not_exist()
    {
        var keys = OptionDefaults(typeof(NimmerverseOptions), new NimmerverseOptions(), "").Select(k => k.Key).ToHashSet();

        Assert.That(DocumentedRows().Keys.Where(k => !keys.Contains(k)), Is.Empty);
    }

    [Test]
    public void A_changed_default_is_caught()
    {
        var rows = DocumentedRows();

        Assert.That(rows["Nats:Url"], Is.EqualTo("`nats://127.0.0.1:4222`"));
        Assert.That(Shown("nats://127.0.0.1:4223"), Is.Not.EqualTo(rows["Nats:Url"]));
    }

    private static Dictionary<string, string> DocumentedRows() =>
        File.ReadLines(DocPath)
            .Select(line => Row().Match(line))
            .Where(m => m.Success)
            .ToDictionary(m => m.Groups["key"].Value, m => m.Groups["default"].Value.Trim());

    /// <summary>The same walk the loader does to find unknown keys: writable properties, nested option classes.</summary>
    private static IEnumerable<KeyValuePair<string, object?>> OptionDefaults(Type type, object instance, string prefix)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var key = prefix + property.Name;
            var value = property.GetValue(instance);
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (propertyType.IsClass && propertyType != typeof(string) && !propertyType.IsArray && !typeof(System.Collections.IDictionary).IsAssignableFrom(propertyType))
            {
                foreach (var nested in OptionDefaults(propertyType, value!, key + ":"))
                {
                    yield return nested;
                }
            }
            else
            {
                yield return new(key, value);
            }
        }
    }

    private static string Shown(object? value) => value switch
    {
        null => "unset",
        Array { Length: 0 } => "none",
        string[] items => string.Join(", ", items.Select(item => $"`{item}`")),
        IDictionary<string, string> map => string.Join(", ", map.Select(pair => $"`{pair.Key}` → `{pair.Value}`")),
        TimeSpan t => $"`{OptionProblems.Shown(t)}`",
        bool b => b ? "`true`" : "`false`",
        IFormattable f => $"`{f.ToString(null, CultureInfo.InvariantCulture)}`",
        _ => $"`{value}`",
    };

    [GeneratedRegex(@"^\| `(?<key>[A-Za-z]+(:[A-Za-z]+)*)` \| (?<default>[^|]+) \|")]
    private static partial Regex Row();
}
