using System.Collections.Concurrent;
using System.Globalization;
using NATS.Client.Core;
using Nimmerverse.Actors.Governor;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Supervisor.Hosting;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Nats;
using Nimmerverse.Testing.Postgres;
using Npgsql;
using Serilog;

namespace Nimmerverse.Bench;

/// <summary>
/// The governor against its baselines, the same village under each policy and seed in turn: a whole
/// supervisor in this process with real brains, a real NATS and a private PostgreSQL (a fresh
/// database per run, so no brain and no governor starts from another run's weights). After a
/// warm-up, over a fixed window, the village's learning progress per CPU-second
/// (<see cref="GovernorObjective"/>) is measured from the brains' own states, not from what the
/// governor computes. Policies: <c>learned</c>, <c>progress-share</c>, and <c>fixed:HZ</c> (equal-share
/// at that rate: the grid searched in hindsight). Printed: every run, then per policy the mean over
/// seeds, and the learned governor's ratio to the best baseline with a 95 % confidence interval
/// (Student's t over the seeds, paired by seed).
/// </summary>
internal static class GovernorLearningBenchmark
{
    public sealed record Scenario(int Population, string Roles, TimeSpan WarmUp, TimeSpan Window, int Seeds, IReadOnlyList<string> Policies);

    /// <summary>One run's outcome: progress per CPU-second over the window, and what the brains ran at, by role.</summary>
    private sealed record Run(string Policy, int Seed, double Progress, double CpuSeconds, IReadOnlyDictionary<string, double> RateByRole, double MeanSuccess, int Levels)
    {
        public double Ratio => CpuSeconds > 0 ? Progress / CpuSeconds : 0;
    }

    public static async Task RunAsync(Scenario scenario)
    {
        await using var nats = await NatsServer.StartAsync();
        await using var postgres = await PrivatePostgres.StartAsync();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Village learning progress per CPU-second: {scenario.Population} brains ({scenario.Roles}), warm-up {scenario.WarmUp.TotalSeconds:F0} s, window {scenario.Window.TotalSeconds:F0} s, seeds 1..{scenario.Seeds}; no systemd here: quotas are decided, not enforced"));
        Console.WriteLine("policy         | seed | progress | CPU s | progress per CPU-s | mean success | levels | tick rate by role (Hz)");
        var runs = new List<Run>();
        for (var seed = 1; seed <= scenario.Seeds; seed++)
        {
            foreach (var policy in scenario.Policies)
            {
                var run = await MeasureAsync(nats, postgres, scenario, policy, seed);
                runs.Add(run);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{policy,-14} | {seed,4} | {run.Progress,8:F3} | {run.CpuSeconds,5:F1} | {run.Ratio,18:F4} | {run.MeanSuccess,12:P0} | {run.Levels,6} | {string.Join(", ", run.RateByRole.Select(r => $"{r.Key} {r.Value:F1}"))}"));
            }
        }

        Summarise(runs, scenario.Policies);
    }

    private static void Summarise(List<Run> runs, IReadOnlyList<string> policies)
    {
        Console.WriteLine("policy         | mean progress per CPU-s over seeds | 95 % CI");
        foreach (var policy in policies)
        {
            var (mean, half) = MeanInterval([.. runs.Where(r => r.Policy == policy).Select(r => r.Ratio)]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{policy,-14} | {mean,34:F4} | ±{half:F4}"));
        }

        var baselines = policies.Where(p => p != GovernorSettings.Learned).ToList();
        if (!policies.Contains(GovernorSettings.Learned) || baselines.Count == 0)
        {
            return;
        }

        // The best baseline in hindsight: the one with the highest mean over the seeds.
        var best = baselines.MaxBy(p => runs.Where(r => r.Policy == p).Average(r => r.Ratio))!;
        var paired = runs.Where(r => r.Policy == GovernorSettings.Learned)
            .Select(l => l.Ratio / runs.Single(r => r.Policy == best && r.Seed == l.Seed).Ratio).ToList();
        var (ratio, interval) = MeanInterval(paired);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"learned / best baseline ({best}): {ratio:F2} ± {interval:F2} (95 % CI over {paired.Count} seeds; per seed {string.Join(", ", paired.Select(p => p.ToString("F2", CultureInfo.InvariantCulture)))})"));
    }

    /// <summary>The mean and the half-width of its 95 % confidence interval (Student's t; 0 for one value).</summary>
    private static (double Mean, double Half) MeanInterval(IReadOnlyList<double> values)
    {
        var mean = values.Average();
        if (values.Count < 2)
        {
            return (mean, 0);
        }

        double[] t975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262];
        var sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        return (mean, t975[Math.Min(values.Count - 2, t975.Length - 1)] * sd / Math.Sqrt(values.Count));
    }

    private static async Task<Run> MeasureAsync(NatsServer nats, PrivatePostgres postgres, Scenario scenario, string policy, int seed)
    {
        var database = $"bench_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(postgres.ConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"create database {database}", admin);
            await create.ExecuteNonQueryAsync();
        }

        var fixedRate = policy.StartsWith("fixed:", StringComparison.Ordinal) ? policy["fixed:".Length..] : null;
        var environment = SupervisorEnvironment.Local(nats.Url, postgres.ConnectionString.Replace("Database=postgres", $"Database={database}", StringComparison.Ordinal),
            ("NIMMERVERSE_LOGGING__TARGET", "console"),
            ("NIMMERVERSE_LOGGING__MINIMUMLEVEL", "Warning"),
            ("NIMMERVERSE_NPC__POPULATION", scenario.Population.ToString(CultureInfo.InvariantCulture)),
            ("NIMMERVERSE_NPC__ROLE", scenario.Roles),
            ("NIMMERVERSE_NPC__BRAINPATH", RepositoryPaths.BrainExecutable),
            ("NIMMERVERSE_NPC__BACKEND", "none"),
            ("NIMMERVERSE_NPC__TICKRATEHZ", fixedRate ?? "5"),
            ("NIMMERVERSE_GOVERNOR__POLICY", fixedRate is null ? policy : GovernorSettings.EqualShare),
            ("NIMMERVERSE_GOVERNOR__SEED", seed.ToString(CultureInfo.InvariantCulture)),
            ("NIMMERVERSE_WORLD__SEED", seed.ToString(CultureInfo.InvariantCulture)),
            ("NIMMERVERSE_TRAILS__SPOOLPATH", Path.Combine(Path.GetTempPath(), $"{database}.spool")));
        var loaded = ConfigurationLoader.Load(null, environment, AppContext.BaseDirectory);
        await using var app = SupervisorHost.Build(loaded, new LoggerConfiguration().MinimumLevel.Warning().CreateLogger());
        await app.StartAsync();
        await using var client = new NatsConnection(new NatsOpts { Url = nats.Url });
        var states = new ConcurrentQueue<(DateTimeOffset At, NpcStateBody State)>();
        using var stop = new CancellationTokenSource();
        var listening = Task.Run(async () =>
        {
            await foreach (var m in client.SubscribeAsync<byte[]>("dev.npc.*.state", cancellationToken: stop.Token))
            {
                if (WireCodec.Default.Decode<NpcStateBody>(m.Data ?? []).Envelope is { } e)
                {
                    states.Enqueue((DateTimeOffset.UtcNow, e.Body));
                }
            }
        });

        await Task.Delay(scenario.WarmUp);
        var from = DateTimeOffset.UtcNow;
        await Task.Delay(scenario.Window);
        var to = DateTimeOffset.UtcNow;
        await stop.CancelAsync();
        await listening.ContinueWith(_ => { }, TaskScheduler.Default);
        await app.StopAsync();
        return Score(policy, seed, [.. states.Where(s => s.At >= from && s.At < to).Select(s => s.State)]);
    }

    /// <summary>
    /// Sums, per NPC, what each state added to the one before: progress and CPU by the objective's
    /// own measure. A pair across a restart (the CPU counter went back) measures nothing.
    /// </summary>
    private static Run Score(string policy, int seed, IReadOnlyList<NpcStateBody> inWindow)
    {
        double progress = 0, cpuSeconds = 0;
        var levels = 0;
        foreach (var npc in inWindow.GroupBy(s => s.NpcId))
        {
            var ordered = npc.OrderBy(s => s.CpuMs).ThenBy(s => s.Tick).ToList();
            for (var i = 1; i < ordered.Count; i++)
            {
                if (ordered[i].Tick < ordered[i - 1].Tick)
                {
                    continue;
                }

                var epoch = GovernorObjective.Of(ordered[i - 1], ordered[i], 0);
                (progress, cpuSeconds) = (progress + epoch.Progress, cpuSeconds + epoch.Cost);
            }

            levels = Math.Max(levels, ordered.Max(s => s.Level) - ordered.Min(s => s.Level));
        }

        var byRole = inWindow.GroupBy(s => s.Role ?? "?").OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Average(s => s.TickRateHz));
        return new Run(policy, seed, progress, cpuSeconds, byRole, inWindow.Count == 0 ? 0 : inWindow.Average(s => s.SuccessRate), levels);
    }
}
