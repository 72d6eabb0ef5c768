using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using NATS.Client.Core;
using Nimmerverse.Actors.Npc;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Lifecycle;
using Nimmerverse.Supervisor.NpcScopes;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Nats;
using Nimmerverse.Testing.Systemd;

namespace Nimmerverse.Bench;

/// <summary>
/// Scopes through our D-Bus client against systemd's own command-line tools, doing the same
/// thing in the same run inside a real systemd (the test harness's sandbox):
/// spawn latency (request → scope active → the brain's first state on NATS) over real brains,
/// ours (start the brain, StartTransientUnit with its PID) beside <c>systemd-run --scope</c>;
/// and quota-change latency (call → the kernel's cgroup file shows the new quota), ours
/// (SetUnitProperties) beside <c>systemctl set-property --runtime</c>. The two are interleaved,
/// one of each in turn, so load on the machine falls on both alike.
/// </summary>
internal static class ScopeBenchmark
{
    private static readonly ScopeLimits Limits = NpcHostSettings.Default.Limits;

    /// <summary>On the host: boots the sandbox and a nats-server, and runs <see cref="InsideAsync"/> inside the sandbox.</summary>
    public static async Task<int> RunAsync(int brains, int changes)
    {
        await using var nats = await NatsServer.StartAsync();
        await using var sandbox = await SystemdSandbox.StartAsync();
        var self = typeof(ScopeBenchmark).Assembly.Location;
        var inside = await sandbox.RunAsync(
            ["dotnet", self, "scopes-inside", nats.Url, RepositoryPaths.BrainExecutable, brains.ToString(CultureInfo.InvariantCulture), changes.ToString(CultureInfo.InvariantCulture)],
            timeout: TimeSpan.FromMinutes(30));
        Console.Write(inside.StandardOutput);
        Console.Error.Write(inside.StandardError);
        return inside.ExitCode;
    }

    /// <summary>Inside the sandbox, where systemd is PID 1 and the system bus is its own.</summary>
    public static async Task InsideAsync(string natsUrl, string brainPath, int brains, int changes)
    {
        await using var scopes = await DBusSystemdScopes.ConnectAsync();
        await using var nats = new NatsConnection(new NatsOpts { Url = natsUrl });
        var firstStates = new ConcurrentDictionary<int, TaskCompletionSource<long>>();
        var subscription = await nats.SubscribeCoreAsync<byte[]>("dev.npc.*.state");
        var reading = Task.Run(async () =>
        {
            await foreach (var message in subscription.Msgs.ReadAllAsync())
            {
                if (WireCodec.Default.Decode<NpcStateBody>(message.Data ?? []).Envelope is { } envelope && firstStates.TryGetValue(envelope.Body.NpcId, out var first))
                {
                    first.TrySetResult(Stopwatch.GetTimestamp());
                }
            }
        });
        await nats.PingAsync();

        Console.WriteLine($"Spawn latency over {brains} brains each way (ms; request -> scope active -> first npc_state), started one at a time:");
        var ours = new List<(double Scope, double State)>();
        var theirs = new List<(double Scope, double State)>();
        var boosted = new List<(double Scope, double State)>();
        for (var i = 0; i < brains; i++)
        {
            ours.Add(await SpawnOursAsync(scopes, firstStates, natsUrl, brainPath, 1000 + i, Limits));
            theirs.Add(await SpawnWithSystemdRunAsync(scopes, firstStates, natsUrl, brainPath, 2000 + i));
            // What the supervisor does (Npc:StartupCpuQuotaPercent): 100 % until the first state.
            boosted.Add(await SpawnOursAsync(scopes, firstStates, natsUrl, brainPath, 4000 + i, Limits with { CpuQuotaPercent = 100 }));
        }

        Console.WriteLine("                          | scope active p50 / p99 | first state p50 / p99");
        Console.WriteLine(Row("ours (D-Bus), 25 %", ours));
        Console.WriteLine(Row("systemd-run --scope, 25 %", theirs));
        Console.WriteLine(Row("ours, 100 % until up", boosted));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ratio systemd-run / ours (scope active p50): {P(theirs.Select(t => t.Scope), 0.5) / P(ours.Select(t => t.Scope), 0.5):F1}x"));

        Console.WriteLine();
        Console.WriteLine($"Quota-change latency over {changes} changes each way (ms; call -> cgroup file shows the new quota):");
        var (ourChanges, theirChanges) = await ChangeQuotasAsync(scopes, changes);
        Console.WriteLine("                                 |  p50  |  p99  |  max");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ours (SetUnitProperties)         | {P(ourChanges, 0.5),5:F2} | {P(ourChanges, 0.99),5:F2} | {ourChanges.Max(),5:F1}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"systemctl set-property --runtime | {P(theirChanges, 0.5),5:F2} | {P(theirChanges, 0.99),5:F2} | {theirChanges.Max(),5:F1}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ratio systemctl / ours: p50 {P(theirChanges, 0.5) / P(ourChanges, 0.5):F1}x, p99 {P(theirChanges, 0.99) / P(ourChanges, 0.99):F1}x (target >= 5x, our p99 < 20 ms)"));
        await subscription.UnsubscribeAsync();
        await reading;
    }

    private static async Task<(double Scope, double State)> SpawnOursAsync(DBusSystemdScopes scopes, ConcurrentDictionary<int, TaskCompletionSource<long>> firstStates, string natsUrl, string brainPath, int id, ScopeLimits limits)
    {
        var first = firstStates[id] = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var unit = NpcScopeName.For(id);
        var start = Stopwatch.GetTimestamp();
        using var brain = BenchSupport.StartQuiet(brainPath, BrainArguments(id, natsUrl));
        await scopes.StartScopeAsync(unit, [brain.Id], limits, $"benchmark brain {id}", default);
        var scopeActive = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        var state = Stopwatch.GetElapsedTime(start, await first.Task.WaitAsync(TimeSpan.FromSeconds(120))).TotalMilliseconds;
        await EndAsync(scopes, unit, brain);
        return (scopeActive, state);
    }

    private static async Task<(double Scope, double State)> SpawnWithSystemdRunAsync(DBusSystemdScopes scopes, ConcurrentDictionary<int, TaskCompletionSource<long>> firstStates, string natsUrl, string brainPath, int id)
    {
        var first = firstStates[id] = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var unit = NpcScopeName.For(id);
        var start = Stopwatch.GetTimestamp();
        // systemd-run makes the scope around itself, then execs the brain (same PID).
        using var brain = BenchSupport.StartQuiet("systemd-run", [
            "--scope", "--quiet", $"--unit={unit}", $"--slice={DBusSystemdScopes.Slice}",
            "-p", string.Create(CultureInfo.InvariantCulture, $"CPUQuota={Limits.CpuQuotaPercent}%"), "-p", $"MemoryMax={Limits.MemoryMaxBytes}", "-p", $"TasksMax={Limits.TasksMax}",
            brainPath, .. BrainArguments(id, natsUrl)]);
        // Its scope is active when systemd says so; asked as often as the bus answers.
        while (await scopes.GetStatusAsync(unit, default) is not { ActiveState: "active" })
        {
        }

        var scopeActive = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        var state = Stopwatch.GetElapsedTime(start, await first.Task.WaitAsync(TimeSpan.FromSeconds(120))).TotalMilliseconds;
        await EndAsync(scopes, unit, brain);
        return (scopeActive, state);
    }

    private static string[] BrainArguments(int id, string natsUrl) =>
        ["--id", id.ToString(CultureInfo.InvariantCulture), "--tick-rate", "5", "--env", "dev", "--nats", natsUrl, "--checkpoint-every", "3600"];

    /// <summary>One brain at a time: each is killed with its scope before the next starts, so none competes with the next one's start.</summary>
    private static async Task EndAsync(DBusSystemdScopes scopes, NpcScopeName unit, Process brain)
    {
        await scopes.KillAsync(unit, 9, default);
        await brain.WaitForExitAsync();
        await Eventually.TrueAsync(async () => await scopes.GetStatusAsync(unit, default) is null or { ActiveState: "inactive" or "failed" }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(20));
        await scopes.ResetFailedAsync(unit, default).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private static async Task<(List<double> Ours, List<double> Theirs)> ChangeQuotasAsync(DBusSystemdScopes scopes, int changes)
    {
        var (ourUnit, theirUnit) = (NpcScopeName.For(3000), NpcScopeName.For(3001));
        using var ourSleeper = BenchSupport.StartQuiet("sleep", ["3600"]);
        using var theirSleeper = BenchSupport.StartQuiet("sleep", ["3600"]);
        await scopes.StartScopeAsync(ourUnit, [ourSleeper.Id], Limits, "benchmark quota target (ours)", default);
        await scopes.StartScopeAsync(theirUnit, [theirSleeper.Id], Limits, "benchmark quota target (systemctl)", default);
        var ourFile = QuotaFile((await scopes.GetStatusAsync(ourUnit, default))!.ControlGroup);
        var theirFile = QuotaFile((await scopes.GetStatusAsync(theirUnit, default))!.ControlGroup);
        var ours = new List<double>(changes);
        var theirs = new List<double>(changes);
        for (var i = 0; i < changes; i++)
        {
            var percent = 10 + (i % 9 * 10); // 10..90 %, never the value already there
            var expected = (Limits with { CpuQuotaPercent = percent }).CpuQuotaPerSecUSec / 10; // per 100 ms period

            var start = Stopwatch.GetTimestamp();
            await scopes.SetLimitsAsync(ourUnit, Limits with { CpuQuotaPercent = percent }, default);
            WaitForQuota(ourFile, expected);
            ours.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);

            start = Stopwatch.GetTimestamp();
            using (var systemctl = BenchSupport.StartQuiet("systemctl", ["set-property", "--runtime", theirUnit.Value, string.Create(CultureInfo.InvariantCulture, $"CPUQuota={percent}%")]))
            {
                await systemctl.WaitForExitAsync();
            }

            WaitForQuota(theirFile, expected);
            theirs.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        await scopes.StopAsync(ourUnit, default);
        await scopes.StopAsync(theirUnit, default);
        return (ours, theirs);
    }

    /// <summary>The kernel's file for the CPU quota: cpu.cfs_quota_us on cgroup v1, cpu.max on v2.</summary>
    private static string QuotaFile(string controlGroup) =>
        File.Exists("/sys/fs/cgroup/cgroup.controllers") ? $"/sys/fs/cgroup{controlGroup}/cpu.max" : $"/sys/fs/cgroup/cpu{controlGroup}/cpu.cfs_quota_us";

    private static void WaitForQuota(string file, ulong expected)
    {
        var text = expected.ToString(CultureInfo.InvariantCulture);
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 5;
        while (!File.ReadAllText(file).StartsWith(text + (file.EndsWith("cpu.max", StringComparison.Ordinal) ? " " : "\n"), StringComparison.Ordinal))
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"{file} never showed {text}");
            }
        }
    }

    private static string Row(string name, List<(double Scope, double State)> spawns) => string.Create(CultureInfo.InvariantCulture,
        $"{name,-25} | {P(spawns.Select(s => s.Scope), 0.5),8:F1} / {P(spawns.Select(s => s.Scope), 0.99),-11:F1} | {P(spawns.Select(s => s.State), 0.5),7:F0} / {P(spawns.Select(s => s.State), 0.99),-7:F0}");

    private static double P(IEnumerable<double> values, double p) => BenchSupport.Percentile(values, p);
}
