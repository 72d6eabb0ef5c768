using System.Collections.Concurrent;
using System.Globalization;
using NATS.Client.Core;
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
/// The village under each governor policy in turn, the same seeds and population: a whole
/// supervisor in this process with real brains, a real NATS and a private PostgreSQL (a fresh
/// database per run, so no brain starts from the other run's weights). After a warm-up, over a
/// fixed window, the village's reward per CPU-second is measured from the brains' own states
/// (rewards of the ticks in the window over the CPU time the brains used), independently of what
/// the governor computes for itself. Printed: both policies and the ratio learned / equal-share.
/// </summary>
internal static class GovernorLearningBenchmark
{
    public static async Task RunAsync(int population, TimeSpan warmUp, TimeSpan window, double tickRateHz)
    {
        await using var nats = await NatsServer.StartAsync();
        await using var postgres = await PrivatePostgres.StartAsync();
        Console.WriteLine($"Village reward per CPU-second: {population} brains starting at {tickRateHz} Hz (equal-share keeps them there), warm-up {warmUp.TotalSeconds:F0} s, window {window.TotalSeconds:F0} s per policy (no systemd here: quotas are decided but not enforced)");
        var results = new Dictionary<string, double>();
        foreach (var policy in new[] { "equal-share", "learned" })
        {
            results[policy] = await MeasureAsync(nats, postgres, policy, population, warmUp, window, tickRateHz);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ratio learned / equal-share: {results["learned"] / results["equal-share"]:F2} (the goal: above 1)"));
    }

    private static async Task<double> MeasureAsync(NatsServer nats, PrivatePostgres postgres, string policy, int population, TimeSpan warmUp, TimeSpan window, double tickRateHz)
    {
        var database = $"bench_{policy.Replace('-', '_')}_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(postgres.ConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"create database {database}", admin);
            await create.ExecuteNonQueryAsync();
        }

        var environment = SupervisorEnvironment.Local(nats.Url, postgres.ConnectionString.Replace("Database=postgres", $"Database={database}", StringComparison.Ordinal),
            ("NIMMERVERSE_LOGGING__TARGET", "console"),
            ("NIMMERVERSE_LOGGING__MINIMUMLEVEL", "Warning"),
            ("NIMMERVERSE_NPC__POPULATION", population.ToString(CultureInfo.InvariantCulture)),
            ("NIMMERVERSE_NPC__BRAINPATH", RepositoryPaths.BrainExecutable),
            ("NIMMERVERSE_NPC__BACKEND", "none"),
            ("NIMMERVERSE_NPC__TICKRATEHZ", tickRateHz.ToString(CultureInfo.InvariantCulture)),
            ("NIMMERVERSE_GOVERNOR__POLICY", policy),
            ("NIMMERVERSE_GOVERNOR__SEED", "1"),
            ("NIMMERVERSE_WORLD__SEED", "1"),
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

        await Task.Delay(warmUp);
        var from = DateTimeOffset.UtcNow;
        await Task.Delay(window);
        var to = DateTimeOffset.UtcNow;
        await stop.CancelAsync();
        await listening.ContinueWith(_ => { }, TaskScheduler.Default);
        await app.StopAsync();

        var inWindow = states.Where(s => s.At >= from && s.At < to).Select(s => s.State).ToList();
        var perNpc = inWindow.GroupBy(s => s.NpcId).ToList();
        // Each state is one tick; reward_rate is the brain's mean reward per step.
        var reward = inWindow.Sum(s => s.RewardRate);
        var cpuSeconds = perNpc.Sum(g => (g.Max(s => s.CpuMs) - g.Min(s => s.CpuMs)) / 1000);
        var ticks = inWindow.Count / window.TotalSeconds / Math.Max(perNpc.Count, 1);
        var perCpuSecond = reward / Math.Max(cpuSeconds, 1e-3);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{policy,-12}: {perNpc.Count} brains, {ticks:F1} ticks/s each, reward {reward:F1}, CPU {cpuSeconds:F1} s, reward per CPU-second {perCpuSecond:F2}, mean success {inWindow.Average(s => s.SuccessRate):P0}"));
        return perCpuSecond;
    }
}
