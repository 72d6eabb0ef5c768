using NATS.Client.Core;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Brains;
using Nimmerverse.Testing.Nats;
using Nimmerverse.Testing.Postgres;

namespace Nimmerverse.EndToEnd.Tests.Faults;

/// <summary>
/// The published supervisor as a process, with real brains on a real nats-server, through faults
/// of its surroundings that are not the brains' doing: a NATS outage and a stall of the supervisor
/// itself. No brain may be killed for them, and the brains must be heard again afterwards.
/// </summary>
[Category(TestTier.System)]
[NonParallelizable] // each runs a supervisor with brains; side by side they would judge each other's load
public sealed class SupervisorFaultTests
{
    private const int Brains = 3;

    /// <summary>The heartbeat timeout's default; a fault that lasts this long would have looked like dead brains.</summary>
    private static readonly TimeSpan HeartbeatTimeout = TimeSpan.FromSeconds(10);

    private static async Task<(NatsServer Nats, PostgresTestDatabase Database, SupervisorProcess Supervisor, NatsConnection Client, NpcStateWatcher[] Watchers)> StartAsync()
    {
        await Published.EnsureAsync();
        var nats = await NatsServer.StartAsync();
        var database = await PostgresTestDatabase.CreateAsync();
        // Brains stop themselves when their supervisor is silent for their lease (fencing, tested by the cluster suite);
        // these faults are about the heartbeat's judgement, so the lease here outlasts them.
        var supervisor = SupervisorProcess.Start(SupervisorEnvironment.Local(nats.Url, database.ConnectionString,
            ("NIMMERVERSE_NPC__POPULATION", Brains.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("NIMMERVERSE_NPC__BACKEND", "none"),
            ("NIMMERVERSE_NPC__LEASETIMEOUT", "00:01:00"), ("NIMMERVERSE_AKKA__STABLEAFTER", "00:01:00")));
        await supervisor.WaitUntilUpAsync(TimeSpan.FromSeconds(60));
        var client = new NatsConnection(new NatsOpts { Url = nats.Url });
        var watchers = await Task.WhenAll(Enumerable.Range(0, Brains).Select(id => NpcStateWatcher.StartAsync(client, id)));
        foreach (var watcher in watchers)
        {
            Assert.That(await watcher.WaitForAsync(_ => true, TimeSpan.FromSeconds(60)), Is.Not.Null, $"a first state from every brain\n{supervisor}");
        }

        Assert.That(supervisor.BrainPids().Keys, Is.EquivalentTo(Enumerable.Range(0, Brains)), supervisor.ToString());
        return (nats, database, supervisor, client, watchers);
    }

    private static async Task StopAsync((NatsServer Nats, PostgresTestDatabase Database, SupervisorProcess Supervisor, NatsConnection Client, NpcStateWatcher[] Watchers) run)
    {
        foreach (var watcher in run.Watchers)
        {
            await watcher.DisposeAsync();
        }

        await run.Client.DisposeAsync();
        await run.Supervisor.DisposeAsync();
        await run.Database.DisposeAsync();
        await run.Nats.DisposeAsync();
    }

    /// <summary>Every brain is heard from past <paramref name="ticksBefore"/>, and none was killed or replaced.</summary>
    private static async Task AssertEveryBrainLivedThroughAsync(SupervisorProcess supervisor, NpcStateWatcher[] watchers, IReadOnlyDictionary<int, int> before, long[] ticksBefore)
    {
        for (var id = 0; id < Brains; id++)
        {
            var tickBefore = ticksBefore[id];
            Assert.That(await watchers[id].WaitForAsync(s => s.Tick > tickBefore, TimeSpan.FromSeconds(30)), Is.Not.Null, $"NPC {id} is heard again\n{supervisor}");
        }

        // Past the heartbeat timeout again, measured from now: a late judgement would have struck by then.
        await Task.Delay(HeartbeatTimeout + TimeSpan.FromSeconds(3));
        Assert.That(supervisor.BrainPids(), Is.EqualTo(before), $"the same brain processes, none killed or restarted\n{supervisor}");
        Assert.That(supervisor.Log.Where(l => l.Contains("heartbeat timeout", StringComparison.Ordinal) || l.Contains("no state for", StringComparison.Ordinal)), Is.Empty);
        var status = await supervisor.StatusAsync();
        Assert.That(status.GetProperty("actors").GetProperty("restarts").GetInt64(), Is.Zero);
    }

    [Test]
    [CancelAfter(180_000)]
    public async Task A_NATS_outage_of_10_seconds_kills_no_brain()
    {
        var run = await StartAsync();
        try
        {
            var before = run.Supervisor.BrainPids();

            await run.Nats.StopAsync();
            // What was on its way to the watchers when the server went has arrived by now.
            await Task.Delay(TimeSpan.FromSeconds(1));
            var ticksBefore = run.Watchers.Select(w => w.Latest!.Tick).ToArray();
            await Task.Delay(TimeSpan.FromSeconds(9));
            var ticksAtRestart = run.Watchers.Select(w => w.Latest!.Tick).ToArray();
            await run.Nats.RestartAsync();

            await AssertEveryBrainLivedThroughAsync(run.Supervisor, run.Watchers, before, ticksAtRestart);
            Assert.That(ticksAtRestart, Is.EqualTo(ticksBefore), "nothing was heard during the outage: it was real");
        }
        finally
        {
            await StopAsync(run);
        }
    }

    [Test]
    [CancelAfter(180_000)]
    public async Task A_supervisor_stalled_for_20_seconds_kills_no_brain_when_it_resumes()
    {
        var run = await StartAsync();
        try
        {
            var before = run.Supervisor.BrainPids();
            var ticksBefore = run.Watchers.Select(w => w.Latest!.Tick).ToArray();

            run.Supervisor.Pause();
            await Task.Delay(TimeSpan.FromSeconds(20));
            var ticksDuringStall = run.Watchers.Select(w => w.Latest!.Tick).ToArray();
            run.Supervisor.Resume();

            Assert.That(ticksDuringStall.Zip(ticksBefore, (during, at) => during - at), Is.All.GreaterThan(20), "the brains ticked on while their supervisor stood still");
            await AssertEveryBrainLivedThroughAsync(run.Supervisor, run.Watchers, before, ticksDuringStall);
        }
        finally
        {
            await StopAsync(run);
        }
    }

    [Test]
    [CancelAfter(180_000)]
    public async Task A_supervisor_killed_where_no_systemd_adopts_its_brains_leaves_none_running()
    {
        var run = await StartAsync();
        try
        {
            var brains = run.Supervisor.BrainPids().Values.ToList();

            await run.Supervisor.KillHardAsync();

            var clock = System.Diagnostics.Stopwatch.StartNew();
            Assert.That(await Eventually.TrueAsync(() => Task.FromResult(!brains.Any(ProcessTree.IsRunning)), TimeSpan.FromSeconds(10)), Is.True,
                $"every orphan ended by itself within 10 s; still running: {string.Join(' ', brains.Where(ProcessTree.IsRunning))}");
            TestContext.Out.WriteLine($"the last orphan ended {clock.Elapsed.TotalSeconds:0.0} s after its supervisor was killed");
        }
        finally
        {
            await StopAsync(run);
        }
    }

    [Test]
    [CancelAfter(180_000)]
    public async Task A_stray_brain_on_the_same_bus_is_stopped_before_its_twin_starts()
    {
        await Published.EnsureAsync();
        await using var nats = await NatsServer.StartAsync();
        await using var database = await PostgresTestDatabase.CreateAsync();
        // A brain nobody supervises (its parent is this test, not a supervisor), as one left by an
        // older supervisor killed without systemd; and one on another bus, which is not a twin.
        await using var stray = BrainProcess.Start(1, nats.Url, 5);
        await using var otherNats = await NatsServer.StartAsync();
        await using var otherBus = BrainProcess.Start(1, otherNats.Url, 5);
        await using (var client = new NatsConnection(new NatsOpts { Url = nats.Url }))
        await using (var watcher = await NpcStateWatcher.StartAsync(client, 1))
        {
            Assert.That(await watcher.WaitForAsync(_ => true, TimeSpan.FromSeconds(60)), Is.Not.Null, "the stray runs");
        }

        await using var supervisor = SupervisorProcess.Start(SupervisorEnvironment.Local(nats.Url, database.ConnectionString,
            ("NIMMERVERSE_NPC__POPULATION", Brains.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("NIMMERVERSE_NPC__BACKEND", "none")));
        await supervisor.WaitUntilUpAsync(TimeSpan.FromSeconds(60));

        Assert.That(await Eventually.TrueAsync(() => Task.FromResult(stray.HasExited), TimeSpan.FromSeconds(20)), Is.True, $"the stray was stopped\n{supervisor}");
        Assert.That(await Eventually.TrueAsync(() => Task.FromResult(supervisor.BrainPids().Count == Brains), TimeSpan.FromSeconds(60)), Is.True, supervisor.ToString());
        Assert.That(supervisor.BrainPids()[1], Is.Not.EqualTo(stray.Pid), "NPC 1 is the supervisor's own brain");
        Assert.That(supervisor.Log, Has.Some.Contains($"NPC 1: a brain (PID {stray.Pid}) of this bus and environment runs without a supervisor"));
        Assert.That(otherBus.HasExited, Is.False, "a brain of another bus is no twin");
    }
}
