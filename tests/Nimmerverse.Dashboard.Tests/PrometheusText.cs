using System.Globalization;
using System.Text.RegularExpressions;

namespace Nimmerverse.Dashboard.Tests;

/// <summary>
/// A strict reader of the Prometheus text exposition format (version 0.0.4): every line is a comment, a
/// <c># HELP</c>/<c># TYPE</c> line or a sample; a sample's family must have been typed before it.
/// </summary>
public sealed partial class PrometheusText
{
    private PrometheusText(IReadOnlyDictionary<string, string> types, IReadOnlyList<Sample> samples) => (Types, Samples) = (types, samples);

    /// <summary>Family name to type (<c>counter</c>, <c>gauge</c>, <c>histogram</c>...).</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    public IReadOnlyList<Sample> Samples { get; }

    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public static PrometheusText Parse(string text)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var samples = new List<Sample>();
        foreach (var (line, number) in text.Split('\n').Select((l, i) => (l, i + 1)).Where(l => l.l.Length > 0))
        {
            if (TypeLine().Match(line) is { Success: true } type)
            {
                types[type.Groups["name"].Value] = type.Groups["type"].Value;
                continue;
            }

            if (line.StartsWith('#'))
            {
                continue;
            }

            var sample = SampleLine().Match(line);
            if (!sample.Success)
            {
                throw new FormatException($"line {number} is not a sample: {line}");
            }

            var name = sample.Groups["name"].Value;
            if (!types.Keys.Any(family => name == family || (name.StartsWith(family + "_", StringComparison.Ordinal) && name[(family.Length + 1)..] is "total" or "bucket" or "sum" or "count" or "created")))
            {
                throw new FormatException($"line {number}: {name} has no # TYPE before it");
            }

            var labels = LabelPair().Matches(sample.Groups["labels"].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);
            samples.Add(new Sample(name, labels, double.Parse(sample.Groups["value"].Value.Replace("+Inf", "Infinity", StringComparison.Ordinal), CultureInfo.InvariantCulture)));
        }

        return new PrometheusText(types, samples);
    }

    /// <summary>The samples of the family whose name starts with <paramref name="prefix"/> (units and <c>_total</c> are the exporter's to add).</summary>
    public IReadOnlyList<Sample> Family(string prefix) => [.. Samples.Where(s => s.Name.StartsWith(prefix, StringComparison.Ordinal))];

    [GeneratedRegex(@"^# TYPE (?<name>[a-zA-Z_:][a-zA-Z0-9_:]*) (?<type>counter|gauge|histogram|summary|untyped)$")]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>[-+]?(\d+(\.\d+)?([eE][-+]?\d+)?|Inf|\+Inf|NaN))( \d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex LabelPair();
}
