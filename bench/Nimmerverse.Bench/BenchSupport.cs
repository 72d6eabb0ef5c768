using System.Diagnostics;

namespace Nimmerverse.Bench;

/// <summary>What the benchmarks share: percentiles, and child processes whose output nobody reads.</summary>
internal static class BenchSupport
{
    /// <summary>The nearest-rank percentile <paramref name="p"/> (0..1) of already sorted values; NaN for none.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, Math.Max(0, (int)Math.Ceiling(p * sorted.Count) - 1))];

    /// <summary>The percentile of unsorted values.</summary>
    public static double Percentile(IEnumerable<double> values, double p) => Percentile([.. values.Order()], p);

    /// <summary>Starts a process with its output drained (so a full pipe never blocks it) and dropped.</summary>
    public static Process StartQuiet(string file, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, _) => { };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return process;
    }
}
