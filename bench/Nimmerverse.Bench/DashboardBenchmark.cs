using System.Diagnostics;
using System.Globalization;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Nats;
using Nimmerverse.Testing.Postgres;

namespace Nimmerverse.Bench;

/// <summary>
/// What the dashboard costs the supervisor: its CPU over a window with nobody watching against the same
/// window with one browser's stream open, alternated in the same run with the same brains, and the bytes
/// that stream carries. Run after <c>./nimmerverse test</c> or <c>up</c> has published the supervisor, as root
/// (a private PostgreSQL).
/// </summary>
internal static class DashboardBenchmark
{
    private static readonly TimeSpan Linger = TimeSpan.FromSeconds(2);

    public static async Task RunAsync(int brains, TimeSpan window, int rounds)
    {
        await using var nats = await NatsServer.StartAsync();
        await using var postgres = await PrivatePostgres.StartAsync();
        await using var supervisor = SupervisorProcess.Start(SupervisorEnvironment.Local(nats.Url, postgres.ConnectionString,
            ("NIMMERVERSE_NPC__POPULATION", brains.ToString(CultureInfo.InvariantCulture)), ("NIMMERVERSE_NPC__BACKEND", "none"),
            ("NIMMERVERSE_DASHBOARD__LINGER", Linger.ToString()),
            ("NIMMERVERSE_TRAILS__SPOOLPATH", Path.Combine(Path.GetTempPath(), $"nimmerverse-bench-{Guid.NewGuid():N}.spool"))));
        await supervisor.WaitUntilUpAsync(TimeSpan.FromSeconds(90));
        Console.WriteLine($"dashboard: {brains} brains, windows of {window.TotalSeconds:0} s, {rounds} rounds; settling 60 s");
        await Task.Delay(TimeSpan.FromSeconds(60));

        var ratios = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            var unwatched = await CpuPercentAsync(supervisor.Pid, window, watch: null);
            using var client = new HttpClient { BaseAddress = supervisor.Http.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
            long bytes = 0;
            var watched = await CpuPercentAsync(supervisor.Pid, window, watch: async cancellationToken =>
            {
                using var answer = await client.GetAsync(new Uri("/api/stream", UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                await using var stream = await answer.Content.ReadAsStreamAsync(cancellationToken);
                var buffer = new byte[64 * 1024];
                int read;
                while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    bytes += read;
                }
            });
            ratios.Add(watched / unwatched);
            Console.WriteLine($"round {round}: supervisor CPU unwatched {unwatched:0.0} %, one browser watching {watched:0.0} % (ratio {watched / unwatched:0.00}); the stream carried {bytes / window.TotalSeconds / 1024:0.0} KiB/s");
            await Task.Delay(Linger + TimeSpan.FromSeconds(3)); // the feed cools down before the next unwatched window
        }

        Console.WriteLine($"watched/unwatched CPU ratio: median {ratios.Order().ElementAt(ratios.Count / 2):0.00} over {rounds} rounds");
    }

    /// <summary>The process's CPU (user and system) over <paramref name="window"/>, in percent of one core, while <paramref name="watch"/> runs.</summary>
    private static async Task<double> CpuPercentAsync(int pid, TimeSpan window, Func<CancellationToken, Task>? watch)
    {
        using var stop = new CancellationTokenSource();
        var watching = watch is null ? Task.CompletedTask : Task.Run(() => watch(stop.Token));
        await Task.Delay(TimeSpan.FromSeconds(1)); // the stream is open and the feed warm before the window starts
        var (before, start) = (CpuTicks(pid), Stopwatch.GetTimestamp());
        await Task.Delay(window);
        var (after, elapsed) = (CpuTicks(pid), Stopwatch.GetElapsedTime(start));
        await stop.CancelAsync();
        try
        {
            await watching;
        }
        catch (OperationCanceledException)
        {
        }

        return (after - before) / 100.0 / elapsed.TotalSeconds * 100;
    }

    /// <summary>utime + stime from <c>/proc/PID/stat</c>, in clock ticks (100 a second on Linux).</summary>
    private static long CpuTicks(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }
}
