using System.Collections.Concurrent;
using System.Globalization;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Systemd;

namespace Nimmerverse.EndToEnd.Tests.Systemd;

/// <summary>
/// The installed supervisor running NPC brains under the sandbox's real systemd: OOM kills, brain
/// crashes, and the supervisor's own death and restart, seen through systemctl, the kernel's
/// cgroup files and the lifecycle events on NATS.
/// </summary>
[Category(TestTier.System)]
[NonParallelizable]
public sealed class NpcSupervisionTests
{
    private const string Unit = "nimmerverse.service";
    private static SystemdSandbox Sandbox => SandboxSetUp.Sandbox;

    private NATS.Client.Core.NatsConnection _nats = null!;
    private readonly ConcurrentQueue<NpcLifecycleBody> _events = new();
    private CancellationTokenSource _listening = null!;

    [SetUp]
    public async Task ListenToLifecycleEventsFromAStoppedUnit()
    {
        await Sandbox.SystemctlAsync("stop", Unit, "nimmerverse-npcs.slice");
        await Sandbox.SystemctlAsync("reset-failed");
        _events.Clear();
        _nats = new NATS.Client.Core.NatsConnection(new NATS.Client.Core.NatsOpts { Url = SandboxSetUp.Nats.Url });
        _listening = new CancellationTokenSource();
        var subscription = await _nats.SubscribeCoreAsync<byte[]>($"dev.supervisor.{SandboxSetUp.HostName}.npc", cancellationToken: _listening.Token);
        _ = Task.Run(async () =>
        {
            await foreach (var message in subscription.Msgs.ReadAllAsync(_listening.Token))
            {
                if (WireCodec.Default.Decode<NpcLifecycleBody>(message.Data!).Envelope is { } envelope)
                {
                    _events.Enqueue(envelope.Body);
                }
            }
        });
        await _nats.PingAsync();
    }

    [TearDown]
    public async Task StopEverything()
    {
        await _listening.CancelAsync();
        await _nats.DisposeAsync();
        _listening.Dispose();
        await Sandbox.SystemctlAsync("stop", Unit, "nimmerverse-npcs.slice");
        await Sandbox.WriteFileAsync("/etc/nimmerverse/nimmerverse.env", SandboxSetUp.EnvironmentFile);
    }

    private static Task ConfigureAsync(string settings) =>
        Sandbox.WriteFileAsync("/etc/nimmerverse/nimmerverse.env", SandboxSetUp.EnvironmentFile.Replace("NIMMERVERSE_NPC__POPULATION=0", settings, StringComparison.Ordinal));

    private static string Events(IEnumerable<NpcLifecycleBody> events) => string.Join("\n", events);

    /// <summary>The host PIDs in an NPC's scope (empty when the scope is gone), from the kernel's own cgroup file.</summary>
    private static string[] ScopePids(int npcId)
    {
        var path = $"/sys/fs/cgroup/pids/nimmerverse.slice/nimmerverse-npcs.slice/nimmerverse-npc-{npcId}.scope/cgroup.procs";
        var v2 = $"/sys/fs/cgroup/nimmerverse.slice/nimmerverse-npcs.slice/nimmerverse-npc-{npcId}.scope/cgroup.procs";
        var file = File.Exists("/sys/fs/cgroup/cgroup.controllers") ? v2 : path;
        try
        {
            return File.ReadAllText(file).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static async Task<string> JournalAsync() => (await Sandbox.JournalctlAsync("-u", Unit, "-n", "60", "-o", "cat")).StandardOutput;

    [Test]
    public async Task A_brain_that_allocates_past_its_MemoryMax_is_oom_killed_reported_restarted_with_backoff_then_given_up()
    {
        // A stand-in brain that only grows: bash keeps a command substitution's output in its own memory.
        // It waits two seconds first, as a real brain spends loading LibTorch: a kill in the first
        // instants of a brain's life, before its scope's OOM watch is in place, can go unclassified.
        await Sandbox.WriteFileAsync("/opt/nimmerverse/test-brains/hog", "#!/bin/bash\nsleep 2\nx=$(head -c 200000000 /dev/zero | tr '\\0' a)\necho survived ${#x}\n");
        await Sandbox.RunAsync(["chmod", "755", "/opt/nimmerverse/test-brains/hog"]);
        await ConfigureAsync("""
            NIMMERVERSE_NPC__POPULATION=1
            NIMMERVERSE_NPC__BRAINPATH=/opt/nimmerverse/test-brains/hog
            NIMMERVERSE_NPC__MEMORYMAXMIB=32
            NIMMERVERSE_NPC__RESTARTDELAY=00:00:00.300
            NIMMERVERSE_NPC__MAXRESTARTS=2
            """);

        var start = await Sandbox.SystemctlAsync("start", Unit);
        Assert.That(start.ExitCode, Is.Zero, start.ToString());

        var gaveUp = await Eventually.TrueAsync(() => Task.FromResult(_events.Any(e => e.Event == "gave-up")), TimeSpan.FromSeconds(60));
        var events = _events.ToArray();
        Assert.That(gaveUp, Is.True, Events(events) + "\n" + await JournalAsync());
        var exits = events.Where(e => e.Event == "exited").ToArray();
        var ooms = events.Where(e => e.Event == "oom").ToArray();
        Assert.That(exits, Has.Length.EqualTo(3), Events(events));
        Assert.That(exits.Select(e => e.Signal), Is.All.EqualTo(9), "the OOM killer's SIGKILL");
        Assert.That(ooms.Select(e => e.Pid), Is.EquivalentTo(exits.Select(e => e.Pid)), "every one of the kills was classified as OOM:\n" + Events(events) + "\n" + await JournalAsync());
        Assert.That(ooms.Select(e => e.Unit), Is.All.EqualTo("nimmerverse-npc-0.scope"));
        Assert.That(events.Count(e => e.Event == "restarted"), Is.EqualTo(2));
        Assert.That(events.Single(e => e.Event == "gave-up").Detail, Does.Contain("more than 2 restarts"));
        var journal = await Sandbox.JournalctlAsync("-u", Unit, "-o", "cat", "NPC_ID=0");
        Assert.That(journal.StandardOutput, Does.Contain("Gave up the brain of NPC 0"));
        var byUnit = await Sandbox.JournalctlAsync("-u", Unit, "-o", "cat", "UNIT=nimmerverse-npc-0.scope");
        Assert.That(byUnit.StandardOutput, Does.Contain("Gave up the brain of NPC 0").And.Contain("ran out of memory: the kernel's OOM killer acted"));
    }

    [Test]
    public async Task A_brain_runs_in_its_scope_as_the_brains_own_user_without_any_privilege()
    {
        await ConfigureAsync("NIMMERVERSE_NPC__POPULATION=1");
        await Sandbox.SystemctlAsync("start", Unit);
        Assert.That(await Eventually.TrueAsync(() => Task.FromResult(ScopePids(0).Length == 1), TimeSpan.FromSeconds(30)), Is.True, await JournalAsync());
        var pid = ScopePids(0)[0];
        var uid = WorkloadUsers.UidOf(WorkloadUsers.Brains).ToString(CultureInfo.InvariantCulture);

        // The installed configuration names the user (Npc:User); install made it from the sysusers file.
        Dictionary<string, string> status = [];
        var switched = await Eventually.TrueAsync(() =>
        {
            status = File.ReadLines($"/proc/{pid}/status").Select(line => line.Split(':', 2)).ToDictionary(f => f[0], f => f[1].Trim());
            return Task.FromResult(status["Uid"].Split('\t').All(u => u == uid));
        }, TimeSpan.FromSeconds(10));

        Assert.That(switched, Is.True, $"uids {status.GetValueOrDefault("Uid")}, expected {uid} ({WorkloadUsers.Brains})");
        Assert.That(status["Gid"].Split('\t'), Is.All.Not.EqualTo("0"), "no root group");
        Assert.That(status["NoNewPrivs"], Is.EqualTo("1"));
        Assert.That(new[] { status["CapPrm"], status["CapEff"], status["CapAmb"] }, Is.All.EqualTo("0000000000000000"));
        Assert.That(await File.ReadAllTextAsync($"/proc/{pid}/cmdline"), Does.Contain("nimmerverse-brain"), "the scope holds the brain itself (setsid and setpriv exec in place)");
    }

    [Test]
    public async Task A_brain_killed_with_SIGKILL_is_restarted_in_a_new_scope_and_not_reported_as_out_of_memory()
    {
        await ConfigureAsync("NIMMERVERSE_NPC__POPULATION=1\nNIMMERVERSE_NPC__RESTARTDELAY=00:00:00.500");
        await Sandbox.SystemctlAsync("start", Unit);
        Assert.That(await Eventually.TrueAsync(() => Task.FromResult(ScopePids(0).Length == 1), TimeSpan.FromSeconds(30)), Is.True, await JournalAsync());
        var first = int.Parse(ScopePids(0)[0], CultureInfo.InvariantCulture);

        System.Diagnostics.Process.GetProcessById(first).Kill();

        var restarted = await Eventually.TrueAsync(() => Task.FromResult(ScopePids(0) is [var pid] && pid != first.ToString(CultureInfo.InvariantCulture)), TimeSpan.FromSeconds(30));
        Assert.That(restarted, Is.True, Events(_events) + "\n" + await JournalAsync());
        Assert.That(await Eventually.TrueAsync(() => Task.FromResult(_events.Any(e => e.Event == "restarted")), TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(_events.Single(e => e.Event == "exited").Signal, Is.EqualTo(9), Events(_events));
        // The OOM test's negative control: the same SIGKILL, not from the kernel's OOM killer, is no OOM kill
        // (the watcher and the scope's Result would have said so within this time).
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.That(_events.Where(e => e.Event == "oom"), Is.Empty, Events(_events));
    }

    [Test]
    public async Task After_a_kill_9_of_the_supervisor_systemd_restarts_it_and_it_adopts_the_running_brains_without_duplicates()
    {
        await ConfigureAsync("NIMMERVERSE_NPC__POPULATION=2\nNIMMERVERSE_NPC__SPAWNINTERVAL=00:00:00.200");
        await Sandbox.SystemctlAsync("start", Unit);
        Assert.That(await Eventually.TrueAsync(() => Task.FromResult(ScopePids(0).Length == 1 && ScopePids(1).Length == 1), TimeSpan.FromSeconds(30)), Is.True, await JournalAsync());
        var brains = new[] { ScopePids(0)[0], ScopePids(1)[0] };
        // The events travel on their own: wait for both before the kill, or a slow machine kills the
        // supervisor with them still unsent and the check below cannot tell "spawned again" apart.
        Assert.That(await Eventually.TrueAsync(() => Task.FromResult(_events.Count(e => e.Event == "spawned") == 2), TimeSpan.FromSeconds(30)), Is.True, Events(_events));

        // SIGKILL to everything in the service's cgroup: the supervisor alone, the brains are in their scopes.
        var kill = await Sandbox.SystemctlAsync("kill", "--signal=KILL", Unit);
        Assert.That(kill.ExitCode, Is.Zero, kill.ToString());

        var restarted = await Eventually.TrueAsync(async () =>
            await Sandbox.UnitPropertyAsync(Unit, "NRestarts") != "0" && await Sandbox.UnitPropertyAsync(Unit, "ActiveState") == "active", TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(250));
        Assert.That(restarted, Is.True, await JournalAsync());
        var adopted = await Eventually.TrueAsync(() => Task.FromResult(_events.Count(e => e.Event == "adopted") == 2), TimeSpan.FromSeconds(30));
        Assert.That(adopted, Is.True, Events(_events) + "\n" + await JournalAsync());
        Assert.That(_events.Where(e => e.Event == "adopted").Select(e => e.Pid?.ToString(CultureInfo.InvariantCulture)), Is.EquivalentTo(await SandboxPidsAsync(brains)));
        Assert.That(new[] { ScopePids(0), ScopePids(1) }, Is.EqualTo(new[] { new[] { brains[0] }, new[] { brains[1] } }), "the same brains, still one per scope");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.That(_events.Where(e => e.Event is "spawned" or "restarted" or "exited").Select(e => e.Event), Is.EqualTo(new[] { "spawned", "spawned" }), "no brain was started again:\n" + Events(_events));
        var units = await Sandbox.SystemctlAsync("list-units", "--plain", "--no-legend", "nimmerverse-npc-*.scope");
        Assert.That(units.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(2), units.StandardOutput);

        // A deliberate restart (an upgrade) leaves them running too, and a stop ends them.
        var restart = await Sandbox.SystemctlAsync("restart", Unit);
        Assert.That(restart.ExitCode, Is.Zero, restart.ToString());
        Assert.That(await Eventually.TrueAsync(() => Task.FromResult(_events.Count(e => e.Event == "adopted") == 4), TimeSpan.FromSeconds(30)), Is.True, Events(_events) + "\n" + await JournalAsync());
        Assert.That(new[] { ScopePids(0), ScopePids(1) }, Is.EqualTo(new[] { new[] { brains[0] }, new[] { brains[1] } }), "systemctl restart kept the brains");

        var stop = await Sandbox.SystemctlAsync("stop", Unit);
        Assert.That(stop.ExitCode, Is.Zero, stop.ToString());
        Assert.That(ScopePids(0).Concat(ScopePids(1)), Is.Empty, "a stop ends the brains with the supervisor");
    }

    /// <summary>The sandbox's view of host PIDs (the events carry the PIDs its supervisor sees).</summary>
    private static async Task<string[]> SandboxPidsAsync(string[] hostPids)
    {
        var result = new List<string>();
        foreach (var pid in hostPids)
        {
            var status = await File.ReadAllLinesAsync($"/proc/{pid}/status");
            // NSpid: the PID in each namespace, outermost first; the last is the sandbox's.
            result.Add(status.Single(l => l.StartsWith("NSpid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[^1]);
        }

        return [.. result];
    }
}
