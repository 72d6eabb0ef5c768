using System.Globalization;
using NATS.Client.Core;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Fuzz;

namespace Nimmerverse.Bench;

/// <summary>
/// The hostile-input fuzz against a supervisor already running under <c>./nimmerverse up</c> (its
/// NATS URL from <c>.nimmerverse/nats/url</c>, the process found by its command line), with the
/// figures the fuzz test asserts on: rejections by reason, restarts, log lines (from the file
/// <c>up</c>'s output was sent to, if given), peak memory, answers, brains killed.
/// </summary>
public static class FuzzBenchmark
{
    public static async Task<int> RunAsync(int count, double perSecond, string http, string? logFile)
    {
        var pid = FindSupervisor();
        if (pid is null)
        {
            Console.Error.WriteLine("no running supervisor (`nimmerverse run`) found: start `./nimmerverse up > up.log 2>&1 &` first");
            return 69;
        }

        var natsUrl = (await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.State, "nats", "url")).ConfigureAwait(false)).Trim();
        using var client = new HttpClient { BaseAddress = new Uri(http) };
        // `up` runs an authenticating bus: the fuzzer comes as an operator, an insider with the whole account.
        var creds = Path.Combine(RepositoryPaths.State, "identities", "creds", "operator-dev.creds");
        await using var nats = new NatsConnection(new NatsOpts { Url = natsUrl, AuthOpts = File.Exists(creds) ? new NatsAuthOpts { CredsFile = creds } : NatsAuthOpts.Default });
        var population = ProcessTree.BrainsOf(pid.Value).Count;
        Console.WriteLine($"fuzzing the supervisor {pid} ({population} brains) over {natsUrl}: {count} messages at {perSecond}/s");
        var report = await FuzzRun.RunAsync(pid.Value, client, nats, () => logFile is null ? 0 : File.ReadLines(logFile).Count(), count, perSecond, seed: 2026, population: Math.Max(population, 1)).ConfigureAwait(false);
        Console.WriteLine(report);
        if (logFile is null)
        {
            Console.WriteLine("(log lines not counted: pass the file up's output goes to)");
        }

        return report.BrainsKilled == 0 && report.Restarts == 0 ? 0 : 1;
    }

    private static int? FindSupervisor()
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var arguments = File.ReadAllText(Path.Combine(directory, "cmdline")).Split('\0');
                if (arguments.Length > 1 && arguments[0].EndsWith("/nimmerverse", StringComparison.Ordinal) && arguments[1] == "run")
                {
                    return pid;
                }
            }
            catch (IOException)
            {
            }
        }

        return null;
    }
}
