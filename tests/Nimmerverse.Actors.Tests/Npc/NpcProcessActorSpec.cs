using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using Nimmerverse.Actors.Npc;
using Nimmerverse.Protocol;
using Nimmerverse.Testing.TestKit;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;
using static Nimmerverse.Actors.Npc.NpcHostMessages;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Npc;

/// <summary>
/// The NPC process actor with real child processes: small shell scripts that stand in for a brain
/// which crashes, is killed, or stops on SIGTERM (the brain's own behaviour is tested with the
/// brain). What is checked is the supervision: events, backoff, giving up, graceful stop.
/// </summary>
[Category(TestTier.Unit)]
public sealed class NpcProcessActorSpec : AkkaSpec
{
    private static readonly Subjects Dev = new("dev");
    private string _directory = null!;

    [SetUp]
    public void MakeDirectory()
    {
        _directory = Directory.CreateTempSubdirectory("nimmerverse-npc-").FullName;
        _launcher = new RecordingLauncher();
    }

    private readonly List<System.Diagnostics.Process> _orphans = [];

    [TearDown]
    public void RemoveDirectory()
    {
        foreach (var orphan in _orphans)
        {
            if (!orphan.HasExited)
            {
                orphan.Kill();
            }

            orphan.Dispose();
        }

        _orphans.Clear();
        _launcher.KillAll();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>
    /// Real processes, with the ones the actors started remembered: a brain "in its scope" outlives
    /// its actor by design (the next supervisor adopts it), and with recorded scopes there is no
    /// systemd to stop it, so the test ends its stand-ins itself.
    /// </summary>
    private sealed class RecordingLauncher : IBrainLauncher
    {
        private readonly ConcurrentQueue<BrainProcess> _started = new();
        private int _starts;

        public int Starts => Volatile.Read(ref _starts);

        public BrainProcess Start(string brainPath, IReadOnlyList<string> arguments, Action<BrainProcess> onExit, string? standardInput = null)
        {
            var brain = ProcessBrainLauncher.Instance.Start(brainPath, arguments, onExit, standardInput);
            Interlocked.Increment(ref _starts);
            _started.Enqueue(brain);
            return brain;
        }

        public BrainProcess? Adopt(int pid) => ProcessBrainLauncher.Instance.Adopt(pid);

        public void KillAll()
        {
            while (_started.TryDequeue(out var brain))
            {
                brain.Signal(9);
            }
        }
    }

    private RecordingLauncher _launcher = null!;

    private string Script(string body)
    {
        var path = Path.Combine(_directory, $"brain-{Guid.NewGuid():N}");
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }

    /// <summary>Settings for the stand-in brains; the start-up CPU quota is off (5 %, below any brain's own) unless a test is about it.</summary>
    private static NpcHostSettings Settings(string brain, int maxRestarts = 3, TimeSpan? startup = null, double startupQuota = 5) => new()
    {
        BrainPath = brain, Population = 1, Role = "small",
        RestartDelay = TimeSpan.FromMilliseconds(100), StopTimeout = TimeSpan.FromSeconds(3), SpawnInterval = TimeSpan.Zero,
        MaxRestartDelay = TimeSpan.FromSeconds(1), MaxRestarts = maxRestarts, RestartWindow = TimeSpan.FromSeconds(30),
        HeartbeatTimeout = TimeSpan.FromSeconds(2), StartupTimeout = startup ?? TimeSpan.FromSeconds(60), StartupCpuQuotaPercent = startupQuota,
    };

    /// <summary>The NATS server the stand-ins are told about (they never dial it).</summary>
    private const string Nats = "nats://127.0.0.1:4222";

    private static Inbound<NpcStateBody> StateOf(int npcId, long permissionViolations = 0) => new(
        $"dev.npc.{npcId}.state",
        Envelopes.Of(new MessageSource($"npc-{npcId}", "npc", 1), new NpcStateBody(npcId, 1, 5, 5, 0, 0, 0, 0, 0, 0, 0, 0, PermissionViolations: permissionViolations)),
        null);

    [Test]
    public void Permission_violations_a_brain_reports_are_published_once_each_for_the_bridge_to_count()
    {
        var bridge = CreateTestProbe();
        var counted = CreateTestProbe();
        Sys.EventStream.Subscribe(counted.Ref, typeof(NpcPermissionViolations));
        var npc = Sys.ActorOf(NpcProcessActor.Props(12, Settings(Script("sleep 30")), Nats, bridge.Ref, Dev, "theia", launcher: _launcher));
        ExpectEvent(bridge, "spawned");

        npc.Tell(StateOf(12), TestActor);
        npc.Tell(StateOf(12, permissionViolations: 2), TestActor);
        npc.Tell(StateOf(12, permissionViolations: 2), TestActor);
        npc.Tell(StateOf(12, permissionViolations: 5), TestActor);

        Assert.That(counted.ExpectMsg<NpcPermissionViolations>(), Is.EqualTo(new NpcPermissionViolations(12, 2)));
        Assert.That(counted.ExpectMsg<NpcPermissionViolations>(), Is.EqualTo(new NpcPermissionViolations(12, 3)), "only what is new since the last state");
        counted.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    private NpcLifecycleBody ExpectEvent(Akka.TestKit.TestProbe bridge, string lifecycleEvent, TimeSpan? within = null)
    {
        // The actor also subscribes to its brain's states (its heartbeat) through the bridge.
        var published = (Publish<NpcLifecycleBody>)bridge.FishForMessage(m => m is Publish<NpcLifecycleBody>, within ?? TimeSpan.FromSeconds(10));
        Assert.That(published.Subject.Value, Is.EqualTo("dev.supervisor.theia.npc"));
        Assert.That(published.Envelope.Body.Problem(), Is.Null);
        Assert.That(published.Envelope.Body.Event, Is.EqualTo(lifecycleEvent), published.Envelope.Body.ToString());
        return published.Envelope.Body;
    }

    private static NpcLifecycleBody NextEvent(Akka.TestKit.TestProbe bridge) =>
        ((Publish<NpcLifecycleBody>)bridge.FishForMessage(m => m is Publish<NpcLifecycleBody>, TimeSpan.FromSeconds(10))).Envelope.Body;

    [Test]
    public void A_crashing_brain_is_restarted_with_growing_bounded_delays_then_given_up()
    {
        var bridge = CreateTestProbe();
        Sys.ActorOf(NpcProcessActor.Props(4, Settings(Script("exit 3")), Nats, bridge.Ref, Dev, "theia", launcher: _launcher));

        var spawned = ExpectEvent(bridge, "spawned");
        Assert.That(spawned.Pid, Is.GreaterThan(0));
        var exits = new List<DateTimeOffset>();
        var starts = new List<DateTimeOffset>();
        Assert.That(ExpectEvent(bridge, "exited").ExitCode, Is.EqualTo(3));
        exits.Add(DateTimeOffset.UtcNow);
        for (var restart = 1; restart <= 3; restart++)
        {
            Assert.That(ExpectEvent(bridge, "restarted").Restarts, Is.EqualTo(restart));
            starts.Add(DateTimeOffset.UtcNow);
            ExpectEvent(bridge, "exited");
            exits.Add(DateTimeOffset.UtcNow);
        }

        var gaveUp = ExpectEvent(bridge, "gave-up");
        Assert.That(gaveUp.Detail, Does.Contain("more than 3 restarts within 00:00:30"));
        bridge.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        // Nominal waits 100, 200, 400 ms, each ±20 %. A busy machine makes a restart later, never
        // earlier, so the lower bounds are tight and the upper ones leave room for a slow spawn; they
        // still catch a delay that does not grow, grows past the 1 s maximum, or is in the wrong unit.
        // (RestartPolicyTests check the exact schedule.)
        var waits = starts.Select((s, i) => (s - exits[i]).TotalMilliseconds).ToArray();
        var shown = string.Join(", ", waits);
        Assert.That(waits[0], Is.GreaterThanOrEqualTo(80), shown);
        Assert.That(waits[1], Is.GreaterThanOrEqualTo(160), shown);
        Assert.That(waits[2], Is.GreaterThanOrEqualTo(320), shown);
        Assert.That(waits, Has.All.LessThan(1200 + 500), shown);
        Assert.That(waits[2], Is.GreaterThan(waits[0]), "the delay grows: " + shown);
    }

    [Test]
    public void A_brain_killed_by_a_signal_is_reported_with_the_signal()
    {
        var bridge = CreateTestProbe();
        Sys.ActorOf(NpcProcessActor.Props(5, Settings(Script("kill -9 $$")), Nats, bridge.Ref, Dev, "theia", launcher: _launcher));

        ExpectEvent(bridge, "spawned");
        var exited = ExpectEvent(bridge, "exited");

        Assert.That((exited.Signal, exited.ExitCode), Is.EqualTo(((int?)9, (int?)null)));
    }

    [Test]
    public void A_graceful_stop_sends_SIGTERM_and_waits_for_the_brain()
    {
        var bridge = CreateTestProbe();
        var marker = Path.Combine(_directory, "terminated");
        var ready = Path.Combine(_directory, "ready");
        var npc = Sys.ActorOf(NpcProcessActor.Props(6, Settings(Script($"trap 'touch {marker}; exit 0' TERM\ntouch {ready}\nwhile true; do sleep 0.1; done")), Nats, bridge.Ref, Dev, "theia", launcher: _launcher));
        ExpectEvent(bridge, "spawned");
        AwaitCondition(() => File.Exists(ready), TimeSpan.FromSeconds(5)); // its trap is set

        npc.Tell(StopGracefully.Instance, TestActor);

        ExpectMsg<Stopped>(TimeSpan.FromSeconds(5));
        Assert.That(ExpectEvent(bridge, "exited").ExitCode, Is.Zero);
        Assert.That(File.Exists(marker), "the brain got SIGTERM, not SIGKILL");
        bridge.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Test]
    public void When_its_lifetime_is_over_the_brain_is_stopped_and_a_newcomer_starts_from_nothing()
    {
        var bridge = CreateTestProbe();
        var arguments = Path.Combine(_directory, "arguments");
        var settings = Settings(Script($"echo \"$*\" >> {arguments}\ntrap 'exit 0' TERM\nwhile true; do sleep 0.1; done")) with { Lifetime = TimeSpan.FromMilliseconds(600) };
        var npc = Sys.ActorOf(NpcProcessActor.Props(8, settings, Nats, bridge.Ref, Dev, "theia", launcher: _launcher));

        Assert.That(ExpectEvent(bridge, "spawned").Detail, Is.Null);
        Assert.That(ExpectEvent(bridge, "retired").Detail, Does.StartWith("after "), "between half and one and a half lifetimes");
        Assert.That(ExpectEvent(bridge, "exited").ExitCode, Is.Zero, "stopped by SIGTERM, so it hands over a last checkpoint");
        Assert.That(ExpectEvent(bridge, "spawned").Detail, Does.Contain("newcomer"), "not a restart: a new NPC in the place");
        AwaitCondition(() => File.Exists(arguments) && File.ReadAllLines(arguments).Length >= 2, TimeSpan.FromSeconds(5));
        var lines = File.ReadAllLines(arguments);
        Assert.Multiple(() =>
        {
            Assert.That(lines[0], Does.Not.Contain("--start"), "the first brain starts from the NPC's checkpoint");
            Assert.That(lines[1], Does.Contain("--start fresh"), "the newcomer learns from nothing");
        });

        npc.Tell(StopGracefully.Instance, TestActor);
        FishForMessage(m => m is Stopped, TimeSpan.FromSeconds(10));
    }

    [Test]
    public void A_brain_that_ignores_SIGTERM_is_killed_after_the_stop_timeout()
    {
        var bridge = CreateTestProbe();
        var ready = Path.Combine(_directory, "ready");
        var npc = Sys.ActorOf(NpcProcessActor.Props(7, Settings(Script($"trap '' TERM\ntouch {ready}\nwhile true; do sleep 0.1; done")), Nats, bridge.Ref, Dev, "theia", launcher: _launcher));
        ExpectEvent(bridge, "spawned");
        AwaitCondition(() => File.Exists(ready), TimeSpan.FromSeconds(5)); // SIGTERM is ignored from here on

        npc.Tell(StopGracefully.Instance, TestActor);

        ExpectMsg<Stopped>(TimeSpan.FromSeconds(10));
        Assert.That(ExpectEvent(bridge, "exited").Signal, Is.EqualTo(9));
    }

    /// <summary>
    /// Records what the actor asks of systemd. The D-Bus client itself is tested against a real
    /// systemd (EndToEnd SystemdScopesTests); here only the actor's decisions are checked.
    /// </summary>
    private sealed class RecordingScopes : ISystemdScopes
    {
        private readonly ConcurrentDictionary<int, int> _running = new();

        public ConcurrentQueue<(string Call, ScopeLimits? Limits)> Calls { get; } = new();

        /// <summary>The OOM watch of the latest scope, to play the kernel's part.</summary>
        public Action? OomWatch { get; private set; }

        /// <summary>Makes a scope with <paramref name="pid"/> look as if an earlier supervisor had left it running.</summary>
        public void LeftRunning(int npcId, int pid) => _running[npcId] = pid;

        public Task StartScopeAsync(NpcScopeName unit, IReadOnlyList<int> pids, ScopeLimits limits, string description, CancellationToken cancellationToken)
        {
            _running[unit.Id] = pids[0];
            return Record("start", limits);
        }

        public Task SetLimitsAsync(NpcScopeName unit, ScopeLimits limits, CancellationToken cancellationToken) => Record("set", limits);

        public Task<ScopeStatus?> GetStatusAsync(NpcScopeName unit, CancellationToken cancellationToken) =>
            Task.FromResult(_running.ContainsKey(unit.Id) ? new ScopeStatus(unit, "active", "running", "success", $"/test/{unit}") : null);

        public Task<IReadOnlyList<NpcScopeName>> ListScopesAsync(CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<NpcScopeName>>([.. _running.Keys.Select(NpcScopeName.For)]);

        public Task<IReadOnlyList<int>> GetProcessesAsync(NpcScopeName unit, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<int>>(_running.TryGetValue(unit.Id, out var pid) ? [pid] : []);

        public Task<IDisposable> WatchStateAsync(NpcScopeName unit, Action<string> onActiveState, CancellationToken cancellationToken) =>
            Task.FromResult<IDisposable>(new CancellationTokenSource());

        public IDisposable WatchOomKills(ScopeStatus scope, Action onOomKill)
        {
            OomWatch = onOomKill;
            Calls.Enqueue(("watch-oom", null));
            return new CancellationTokenSource();
        }

        public Task KillAsync(NpcScopeName unit, int signal, CancellationToken cancellationToken) => Record("kill", null);

        public Task StopAsync(NpcScopeName unit, CancellationToken cancellationToken)
        {
            _running.TryRemove(unit.Id, out _);
            return Record($"stop {unit}", null);
        }

        public Task ResetFailedAsync(NpcScopeName unit, CancellationToken cancellationToken) => Record("reset-failed", null);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private Task Record(string call, ScopeLimits? limits)
        {
            Calls.Enqueue((call, limits));
            return Task.CompletedTask;
        }
    }

    /// <summary>A process the test starts itself, standing in for a brain an earlier supervisor left running.</summary>
    private System.Diagnostics.Process StartOrphan(string body)
    {
        var process = System.Diagnostics.Process.Start(Script(body))!;
        _orphans.Add(process);
        return process;
    }

    [Test]
    public void The_host_adopts_brains_left_running_in_their_scopes_starts_only_the_missing_ones_and_stops_those_it_does_not_run()
    {
        var bridge = CreateTestProbe();
        var scopes = new RecordingScopes();
        var survivor = StartOrphan("while true; do sleep 0.1; done");
        scopes.LeftRunning(0, survivor.Id);
        var beyond = StartOrphan("trap 'exit 0' TERM; while true; do sleep 0.1; done");
        scopes.LeftRunning(7, beyond.Id); // beyond a population of 2

        Sys.ActorOf(NpcHostActor.Props(Settings(Script("while true; do sleep 0.1; done")) with { Population = 2 }, Nats, bridge.Ref, Dev, "theia", scopes, launcher: _launcher));

        // The NPC actors run side by side: their first events come in any order.
        var events = new[] { NextEvent(bridge), NextEvent(bridge), NextEvent(bridge) }.OrderBy(e => e.NpcId).ToArray();
        Assert.That((events[0].NpcId, events[0].Event, events[0].Pid), Is.EqualTo((0, "adopted", (int?)survivor.Id)));
        Assert.That((events[1].NpcId, events[1].Event), Is.EqualTo((1, "spawned")), "NPC 0 was not started a second time");
        Assert.That((events[2].NpcId, events[2].Event, events[2].Pid), Is.EqualTo((7, "adopted", (int?)beyond.Id)), "NPC 7 is adopted, not cut off, so that it can hand over its weights");
        var stopped = ExpectEvent(bridge, "exited", TimeSpan.FromSeconds(5));
        Assert.That(stopped.NpcId, Is.EqualTo(7), "then stopped, as this host does not run it");
        Assert.That(beyond.WaitForExit(5000) && beyond.ExitCode == 0, Is.True, "by SIGTERM (its trap exits 0), not SIGKILL");
        Assert.That(scopes.Calls.Where(c => c.Call == "set").Select(c => c.Limits), Is.EqualTo(new[] { NpcHostSettings.Default.Limits, NpcHostSettings.Default.Limits }), "the adopted brains got their limits again");
        var later = bridge.ReceiveWhile(TimeSpan.FromMilliseconds(700), m => m).OfType<Publish<NpcLifecycleBody>>().Select(p => p.Envelope.Body);
        Assert.That(later, Is.Empty, "no NPC was started twice");
    }

    [Test]
    public void An_adopted_brain_that_dies_is_noticed_and_restarted_as_a_child()
    {
        var bridge = CreateTestProbe();
        var scopes = new RecordingScopes();
        var survivor = StartOrphan("while true; do sleep 0.1; done");
        Sys.ActorOf(NpcProcessActor.Props(3, Settings(Script("while true; do sleep 0.1; done")), Nats, bridge.Ref, Dev, "theia", scopes, adoptPid: survivor.Id, launcher: _launcher));
        Assert.That(ExpectEvent(bridge, "adopted").Pid, Is.EqualTo(survivor.Id));

        survivor.Kill();

        var exited = ExpectEvent(bridge, "exited", TimeSpan.FromSeconds(5));
        Assert.That((exited.Pid, exited.ExitCode, exited.Signal), Is.EqualTo(((int?)survivor.Id, (int?)null, (int?)null)));
        Assert.That(exited.Detail, Does.Contain("adopted"));
        var restarted = ExpectEvent(bridge, "restarted");
        Assert.That(restarted.Pid, Is.Not.EqualTo(survivor.Id));
    }

    [Test]
    public void An_oom_kill_in_the_scope_is_reported_once_per_brain_process()
    {
        var bridge = CreateTestProbe();
        var scopes = new RecordingScopes();
        Sys.ActorOf(NpcProcessActor.Props(2, Settings(Script("while true; do sleep 0.1; done")), Nats, bridge.Ref, Dev, "theia", scopes, launcher: _launcher));
        var spawned = ExpectEvent(bridge, "spawned");
        AwaitCondition(() => scopes.OomWatch is not null, TimeSpan.FromSeconds(5));

        scopes.OomWatch!();
        scopes.OomWatch!(); // a second kill in the same episode (a child of the brain, then the brain)

        var oom = ExpectEvent(bridge, "oom");
        Assert.That(oom.Pid, Is.EqualTo(spawned.Pid));
        Assert.That(oom.Detail, Does.Contain("OOM killer").And.Contain("MemoryMax=268435456"));
        var later = bridge.ReceiveWhile<object>(TimeSpan.FromSeconds(1), m => m);
        Assert.That(later.OfType<Publish<NpcLifecycleBody>>().Count(p => p.Envelope.Body.Event == "oom"), Is.Zero, "one report per brain process");
    }

    [Test]
    public void A_new_brain_starts_with_the_start_up_cpu_quota_and_gets_its_own_with_its_first_state()
    {
        var bridge = CreateTestProbe();
        var scopes = new RecordingScopes();
        var npc = Sys.ActorOf(NpcProcessActor.Props(5, Settings(Script("while true; do sleep 0.1; done"), startupQuota: 100), Nats, bridge.Ref, Dev, "theia", scopes, launcher: _launcher));
        ExpectEvent(bridge, "spawned");
        AwaitCondition(() => scopes.OomWatch is not null, TimeSpan.FromSeconds(5)); // in its scope
        Assert.That(scopes.Calls.Single(c => c.Call == "start").Limits, Is.EqualTo(NpcHostSettings.Default.Limits with { CpuQuotaPercent = 100 }));
        Assert.That(scopes.Calls.Any(c => c.Call == "set"), Is.False, "no change before the brain is up");

        npc.Tell(StateOf(5), TestActor);
        npc.Tell(StateOf(5), TestActor);

        AwaitCondition(() => scopes.Calls.Any(c => c.Call == "set"), TimeSpan.FromSeconds(5));
        Thread.Sleep(200);
        Assert.That(scopes.Calls.Where(c => c.Call == "set").Select(c => c.Limits), Is.EqualTo(new[] { NpcHostSettings.Default.Limits }), "its own 25 %, once");
    }

    [Test]
    public void When_the_supervisor_is_restarted_a_scoped_brain_checkpoints_and_keeps_running()
    {
        var bridge = CreateTestProbe();
        var scopes = new RecordingScopes();
        var npc = Sys.ActorOf(NpcProcessActor.Props(4, Settings(Script("while true; do sleep 0.1; done")), Nats, bridge.Ref, Dev, "theia", scopes, launcher: _launcher));
        var pid = ExpectEvent(bridge, "spawned").Pid!.Value;
        AwaitCondition(() => scopes.OomWatch is not null, TimeSpan.FromSeconds(5)); // it is in its scope

        npc.Tell(LeaveRunning.Instance, TestActor);

        ExpectMsg<Stopped>();
        var command = (Publish<NpcCommandBody>)bridge.FishForMessage(m => m is Publish<NpcCommandBody>);
        Assert.That((command.Subject.Value, command.Envelope.Body.Command), Is.EqualTo(("dev.npc.4.command", "checkpoint")));
        Watch(npc);
        Sys.Stop(npc);
        ExpectTerminated(npc);
        Thread.Sleep(300);
        using var brain = System.Diagnostics.Process.GetProcessById(pid);
        Assert.That(brain.HasExited, Is.False, "the brain outlived its actor, for the next supervisor");
        brain.Kill();
    }

    [Test]
    public void A_quota_change_reaches_the_running_scope_and_is_kept_for_the_next_start()
    {
        var bridge = CreateTestProbe();
        var scopes = new RecordingScopes();
        var go = Path.Combine(_directory, "go");
        // The brain ends once told to, and takes the word with it: its successor runs on, so there are two starts and no more
        // (left to exit at once, the successor was restarted again within a second, and a loaded machine's poll missed "two").
        var npc = Sys.ActorOf(NpcProcessActor.Props(3, Settings(Script($"while [ ! -f {go} ]; do sleep 0.05; done\nrm {go}\nexit 1")), Nats, bridge.Ref, Dev, "theia", scopes, launcher: _launcher));
        ExpectEvent(bridge, "spawned");
        AwaitCondition(() => scopes.Calls.Any(c => c.Call == "start"), TimeSpan.FromSeconds(5));
        var governed = new ScopeLimits(60, 300L * 1024 * 1024, 64);

        npc.Tell(new SetLimits(3, governed), TestActor);

        Assert.That(ExpectMsg<LimitsSet>(TimeSpan.FromSeconds(5)), Is.EqualTo(new LimitsSet(3, true)));
        File.WriteAllText(go, "");
        ExpectEvent(bridge, "exited");
        ExpectEvent(bridge, "restarted");
        AwaitCondition(() => scopes.Calls.Count(c => c.Call == "start") == 2, TimeSpan.FromSeconds(5));
        var starts = scopes.Calls.Where(c => c.Call == "start").Select(c => c.Limits).ToArray();
        Assert.That(starts[0], Is.EqualTo(NpcHostSettings.Default.Limits), "the first start had the configured limits");
        Assert.That(scopes.Calls.Single(c => c.Call == "set").Limits, Is.EqualTo(governed));
        Assert.That(starts[1], Is.EqualTo(governed), "the restarted brain kept the governor's limits");
    }

    [Test]
    public void Without_systemd_a_quota_change_says_it_is_not_enforced()
    {
        var bridge = CreateTestProbe();
        var npc = Sys.ActorOf(NpcProcessActor.Props(2, Settings(Script("while true; do sleep 0.1; done")), Nats, bridge.Ref, Dev, "theia", launcher: _launcher));
        ExpectEvent(bridge, "spawned");

        npc.Tell(new SetLimits(2, NpcHostSettings.Default.Limits), TestActor);

        var answer = ExpectMsg<LimitsSet>();
        Assert.That(answer.Applied, Is.False);
        Assert.That(answer.Error, Does.Contain("limits are not enforced"));
    }

    [Test]
    public void A_tick_rate_change_goes_to_the_brain_as_an_npc_command()
    {
        var bridge = CreateTestProbe();
        var npc = Sys.ActorOf(NpcProcessActor.Props(1, Settings(Script("while true; do sleep 0.1; done")), Nats, bridge.Ref, Dev, "theia", launcher: _launcher));
        ExpectEvent(bridge, "spawned");

        npc.Tell(new SetTickRate(1, 12), TestActor);

        var command = (Publish<NpcCommandBody>)bridge.FishForMessage(m => m is Publish<NpcCommandBody>);
        Assert.That(command.Subject.Value, Is.EqualTo("dev.npc.1.command"));
        Assert.That(command.Envelope.Body, Is.EqualTo(new NpcCommandBody("set_tick_rate", 12)));
        Assert.That(command.Envelope.Body.Problem(), Is.Null);
    }

    [Test]
    public void The_host_routes_actuation_to_its_npcs_and_answers_for_one_it_does_not_run()
    {
        var bridge = CreateTestProbe();
        var host = Sys.ActorOf(NpcHostActor.Props(Settings(Script("while true; do sleep 0.1; done")), Nats, bridge.Ref, Dev, "theia", null, launcher: _launcher));
        ExpectEvent(bridge, "spawned");

        host.Tell(new SetTickRate(0, 7), TestActor);
        host.Tell(new SetLimits(5, NpcHostSettings.Default.Limits), TestActor);

        Assert.That(((Publish<NpcCommandBody>)bridge.FishForMessage(m => m is Publish<NpcCommandBody>)).Subject.Value, Is.EqualTo("dev.npc.0.command"));
        Assert.That(ExpectMsg<LimitsSet>(), Is.EqualTo(new LimitsSet(5, false, "NPC 5 does not run on this host")));
        host.Tell(StopAll.Instance, TestActor);
        ExpectMsg<AllStopped>(TimeSpan.FromSeconds(10));
    }

    [Test]
    public void A_brain_that_falls_silent_is_killed_and_restarted_and_its_states_keep_it_alive()
    {
        var bridge = CreateTestProbe();
        var npc = Sys.ActorOf(NpcProcessActor.Props(9, Settings(Script("while true; do sleep 0.1; done"), startup: TimeSpan.FromSeconds(3)), Nats, bridge.Ref, Dev, "theia", launcher: _launcher));
        var subscribe = bridge.ExpectMsg<Subscribe<NpcStateBody>>();
        Assert.That(subscribe.Pattern.Value, Is.EqualTo("dev.npc.9.state"));
        ExpectEvent(bridge, "spawned");

        // States keep it alive past the start-up time...
        for (var i = 0; i < 8; i++)
        {
            npc.Tell(StateOf(9), TestActor);
            Thread.Sleep(500);
        }

        // ...and silence for the heartbeat timeout (2 s) ends it.
        var exited = ExpectEvent(bridge, "exited", TimeSpan.FromSeconds(6));
        Assert.That(exited.Signal, Is.EqualTo(9));
        Assert.That(exited.Detail, Does.StartWith("no state for"));
        ExpectEvent(bridge, "restarted");
    }

    [Test]
    public void A_stop_while_waiting_to_restart_is_answered_at_once_and_no_brain_starts_again()
    {
        var bridge = CreateTestProbe();
        var settings = Settings(Script("exit 1")) with { RestartDelay = TimeSpan.FromSeconds(2), MaxRestartDelay = TimeSpan.FromSeconds(2) };
        var npc = Sys.ActorOf(NpcProcessActor.Props(8, settings, Nats, bridge.Ref, Dev, "theia", launcher: _launcher));
        ExpectEvent(bridge, "spawned");
        ExpectEvent(bridge, "exited");

        npc.Tell(StopGracefully.Instance, TestActor);

        ExpectMsg<Stopped>(TimeSpan.FromSeconds(1));
        var later = bridge.ReceiveWhile<object>(TimeSpan.FromSeconds(3), m => m);
        Assert.That(later.OfType<Publish<NpcLifecycleBody>>().Select(p => p.Envelope.Body.Event), Does.Not.Contain("restarted"));
        Assert.That(_launcher.Starts, Is.EqualTo(1));
    }

    /// <summary>Moves the fake clock a second at a time, letting a real heartbeat check (one a second) see each step.</summary>
    private static void Live(FakeTimeProvider clock, int seconds)
    {
        for (var i = 0; i < seconds; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            Thread.Sleep(1100);
        }
    }

    [Test]
    public void A_stall_of_the_supervisor_itself_kills_no_brain_and_real_silence_after_it_still_does()
    {
        var bridge = CreateTestProbe();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var npc = Sys.ActorOf(NpcProcessActor.Props(11, Settings(Script("while true; do sleep 0.1; done")), Nats, bridge.Ref, Dev, "theia", clock: clock, launcher: _launcher));
        ExpectEvent(bridge, "spawned");
        npc.Tell(StateOf(11), TestActor);
        Thread.Sleep(1100);

        clock.Advance(TimeSpan.FromSeconds(20)); // 20 s between two checks: this process was stopped, not the brain silent
        Thread.Sleep(1500);
        Live(clock, 1);
        Assert.That(bridge.ReceiveWhile<object>(TimeSpan.FromMilliseconds(200), m => m).OfType<Publish<NpcLifecycleBody>>(), Is.Empty, "no brain killed for the supervisor's own stall");

        Live(clock, 3); // silence of its own, beyond the 2 s heartbeat timeout
        var exited = ExpectEvent(bridge, "exited", TimeSpan.FromSeconds(5));
        Assert.That(exited.Detail, Does.StartWith("no state for"));
    }

    [Test]
    public void While_the_bus_is_down_no_brain_is_killed_for_silence_and_after_it_is_back_silence_counts_again()
    {
        var bridge = CreateTestProbe();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var npc = Sys.ActorOf(NpcProcessActor.Props(12, Settings(Script("while true; do sleep 0.1; done")), Nats, bridge.Ref, Dev, "theia", clock: clock, launcher: _launcher));
        ExpectEvent(bridge, "spawned");
        npc.Tell(StateOf(12), TestActor);
        Thread.Sleep(300);

        Sys.EventStream.Publish(new NatsConnectionChanged(false));
        Live(clock, 4); // twice the heartbeat timeout without a state: the bus could not carry one
        Assert.That(bridge.ReceiveWhile<object>(TimeSpan.FromMilliseconds(200), m => m).OfType<Publish<NpcLifecycleBody>>(), Is.Empty, "no brain killed while NATS is down");

        Sys.EventStream.Publish(new NatsConnectionChanged(true));
        Live(clock, 4); // still silent, now that it could be heard
        var exited = ExpectEvent(bridge, "exited", TimeSpan.FromSeconds(5));
        Assert.That(exited.Detail, Does.StartWith("no state for"));
    }
}
