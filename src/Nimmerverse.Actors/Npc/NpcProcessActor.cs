using System.Diagnostics;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Event;
using Nimmerverse.Protocol;
using static Nimmerverse.Actors.Nats.NatsBridgeProtocol;
using static Nimmerverse.Actors.Npc.NpcHostProtocol;

namespace Nimmerverse.Actors.Npc;

/// <summary>
/// One NPC's brain as a child process: starts it, notices its exit (code or signal), starts it
/// again after an exponential backoff with jitter, gives it up after too many restarts in the
/// window (<see cref="RestartPolicy"/>), and stops it gracefully (SIGTERM, then SIGKILL after
/// the stop timeout). Each step is an <c>npc_lifecycle</c> event on <c>{env}.supervisor.{host}.npc</c>
/// and a log line with the NPC_ID field. The brain inherits the supervisor's standard output, so
/// under systemd its own lines reach the journal too.
/// With systemd (<see cref="ISystemdScopes"/>) each brain is moved into its own transient scope,
/// <c>nimmerverse-npc-&lt;id&gt;.scope</c>, with its limits, right after it starts; a brain whose
/// scope cannot be made is killed (it must not run without its limits) and restarted with backoff.
/// A brain found running in its scope when the supervisor starts (an earlier supervisor's: a crash,
/// an upgrade, <c>systemctl restart</c>) is adopted instead: held by a pidfd, its limits applied
/// again, watched like a child; its end is announced by systemd (the scope's PropertiesChanged,
/// with a pidfd poll each second as the backstop) and its exit status is systemd's. A scope that is still there when a new brain is about to start is stopped first, so
/// no NPC ever runs twice. On cgroup v1 an OOM kill is seen through the memory cgroup's own
/// notification (<see cref="ISystemdScopes.WatchOomKills"/>), on v2 through the scope's Result.
/// A brain in its scope outlives this actor (it is adopted by the next supervisor); one without a
/// scope is killed with it.
/// The brain's own <c>npc_state</c> messages are its heartbeat: a brain with no first state within
/// the start-up time, or silent for the heartbeat timeout after, is killed and restarted.
/// </summary>
public sealed class NpcProcessActor : ReceiveActor, IWithTimers
{
    private const int SigTerm = 15;
    private const int SigKill = 9;
    private const string SetSid = "/usr/bin/setsid";

    /// <summary>Looked up once: a brain may be restarted many times.</summary>
    private static readonly bool HaveSetSid = File.Exists(SetSid);

    private readonly int _npcId;
    private readonly NpcHostSettings _settings;
    private readonly IActorRef _bridge;
    private readonly Subject _events;
    private readonly MessageSource _source;
    private readonly RestartPolicy _restarts;
    private readonly TimeProvider _clock;
    private readonly ISystemdScopes? _scopes;
    private readonly NpcScopeName _unit;
    private readonly Subject _commands;
    private readonly Subject _states;
    private ScopeLimits _limits;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly int? _adoptPid;
    private BrainProcess? _brain;
    private bool _scoped;

    /// <summary>The brain's scope still has the start-up CPU quota; its own limits follow its first state.</summary>
    private bool _startupQuota;
    private bool _detached;
    private IDisposable? _oomWatch;
    private IDisposable? _stateWatch;
    private int _starts;
    private bool _gaveUp;
    private IActorRef? _stopRequester;
    private DateTimeOffset _startedAt;
    private DateTimeOffset? _lastStateAt;
    private string? _killedBecause;

    public NpcProcessActor(int npcId, NpcHostSettings settings, IActorRef bridge, Subjects subjects, string hostName, ISystemdScopes? scopes = null, TimeProvider? clock = null, int? adoptPid = null)
    {
        _npcId = npcId;
        _adoptPid = adoptPid;
        _scopes = scopes;
        _unit = NpcScopeName.For(npcId);
        _limits = settings.ScopeLimits;
        _commands = subjects.NpcCommand(npcId);
        _states = subjects.NpcState(npcId);
        _settings = settings;
        _bridge = bridge;
        _events = subjects.SupervisorNpc(hostName);
        _source = new MessageSource($"npc-host@{hostName}", "supervisor", 1);
        _clock = clock ?? TimeProvider.System;
        _restarts = settings.NewRestartPolicy(new Random(HashCode.Combine(npcId, Environment.ProcessId)));

        Receive<Start>(_ => PrepareScope());
        Receive<Adopt>(adopt => AdoptBrain(adopt.Pid));
        Receive<ScopePrepared>(_ => StartBrain());
        Receive<ScopeReady>(OnScopeReady);
        Receive<ScopeStateChanged>(OnScopeStateChanged);
        Receive<ScopeFailed>(OnScopeFailed);
        Receive<Oom>(oom =>
        {
            _log.Warning("The brain of NPC {NpcId} (PID {Pid}) ran out of memory: {How}", _npcId, oom.Pid, oom.How);
            Publish("oom", pid: oom.Pid, detail: oom.How);
        });
        Receive<Exited>(OnExited);
        Receive<LeaveRunning>(_ => Detach());
        Receive<SetLimits>(ApplyLimits);
        Receive<Subscribed>(_ => { });
        Receive<Inbound<NpcStateBody>>(_ => OnState());
        Receive<CheckHeartbeat>(_ => CheckHeartbeatNow());
        Receive<SetTickRate>(set => Command(new NpcCommandBody("set_tick_rate", set.TickRateHz)));
        Receive<StopGracefully>(_ => BeginStop());
        Receive<KillNow>(_ => Kill());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The actor of one NPC; with <paramref name="adoptPid"/> it adopts that brain, already running in its scope, instead of starting one.</summary>
    public static Props Props(int npcId, NpcHostSettings settings, IActorRef bridge, Subjects subjects, string hostName, ISystemdScopes? scopes = null, TimeProvider? clock = null, int? adoptPid = null) =>
        Akka.Actor.Props.Create(() => new NpcProcessActor(npcId, settings, bridge, subjects, hostName, scopes, clock, adoptPid));

    protected override void PreStart()
    {
        // The brain's own state messages are its heartbeat.
        _bridge.Tell(new Subscribe<NpcStateBody>(_states, Self));
        Timers.StartPeriodicTimer("heartbeat", CheckHeartbeat.Instance, TimeSpan.FromSeconds(1));
        Self.Tell(_adoptPid is { } pid && _scopes is not null ? new Adopt(pid) : Start.Instance);
    }

    /// <summary>
    /// A brain in its scope outlives the actor: whatever stopped it (a crash of the actor system, a
    /// supervisor being restarted), the next supervisor adopts the brain. One without a scope must
    /// not run unwatched and is killed.
    /// </summary>
    protected override void PostStop()
    {
        _stateWatch?.Dispose();
        _oomWatch?.Dispose();
        if (_brain is { HasExited: false } brain && _scoped)
        {
            _log.Info("NPC {NpcId}'s brain (PID {Pid}) keeps running in {Unit} for the next supervisor to adopt", _npcId, brain.Pid, _unit.Value);
            return;
        }

        Kill();
    }

    /// <summary>With systemd: no scope of this NPC may still run (an earlier supervisor's), and a failed one is forgotten so its name is free.</summary>
    private void PrepareScope()
    {
        if (_scopes is not { } scopes || _stopRequester is not null || _gaveUp)
        {
            Self.Tell(ScopePrepared.Instance);
            return;
        }

        var (unit, log, npcId) = (_unit, _log, _npcId);
        async Task<ScopePrepared> PrepareAsync()
        {
            var status = await scopes.GetStatusAsync(unit, CancellationToken.None).ConfigureAwait(false);
            if (status is { ActiveState: "active" or "activating" or "deactivating" or "reloading" })
            {
                log.Warning("NPC {NpcId}'s brain still runs in {Unit} from an earlier supervisor; stopping it before starting a new one", npcId, unit.Value);
                await scopes.StopAsync(unit, CancellationToken.None).ConfigureAwait(false);
            }
            else if (status is not null)
            {
                await scopes.ResetFailedAsync(unit, CancellationToken.None).ConfigureAwait(false);
            }

            return ScopePrepared.Instance;
        }

        PrepareAsync().PipeTo(Self, failure: e => new ScopeFailed(null, e));
    }

    private void StartBrain()
    {
        if (_stopRequester is not null || _gaveUp)
        {
            return;
        }

        // Each brain in a session of its own (setsid execs in place, so the PID stays the brain's):
        // a Ctrl-C in the supervisor's terminal reaches the supervisor alone, which then stops the
        // brains in order instead of racing them.
        var start = new ProcessStartInfo(HaveSetSid ? SetSid : _settings.BrainPath) { UseShellExecute = false };
        if (HaveSetSid)
        {
            start.ArgumentList.Add(_settings.BrainPath);
        }

        foreach (var argument in _settings.ArgumentsFor(_npcId))
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            var process = new Process { StartInfo = start, EnableRaisingEvents = true };
            process.Start();
            var brain = new ChildBrain(process);
            var self = Self;
            process.Exited += (_, _) => self.Tell(new Exited(brain));
            if (process.HasExited)
            {
                self.Tell(new Exited(brain)); // it may have ended before the handler was there
            }

            Began(brain);
            _log.Info("Started the brain of NPC {NpcId} as PID {Pid} (start {Starts})", _npcId, brain.Pid, _starts);
            Publish(_starts == 1 ? "spawned" : "restarted", pid: brain.Pid);
            if (_scopes is { } scopes)
            {
                // Loading LibTorch is a second of CPU: the brain gets the start-up quota until its first state.
                var (unit, limits, description) = (_unit, _settings.StartupLimits(_limits), $"Nimmerverse NPC {_npcId} brain");
                _startupQuota = limits != _limits;
                async Task<ScopeReady> StartScopeAsync()
                {
                    await scopes.StartScopeAsync(unit, [brain.Pid], limits, description, CancellationToken.None).ConfigureAwait(false);
                    return await ScopeReadyAsync(scopes, unit, brain, self).ConfigureAwait(false);
                }

                StartScopeAsync().PipeTo(Self, failure: e => new ScopeFailed(brain, e));
            }
        }
        catch (Exception e)
        {
            _log.Error("Cannot start the brain of NPC {NpcId} from {BrainPath}: {Error}", _npcId, _settings.BrainPath, e.Message);
            ScheduleRestart($"cannot start: {e.Message}");
        }
    }

    /// <summary>
    /// Takes over a brain an earlier supervisor left running in its scope: a pidfd on it, the
    /// configured limits applied again (the governor's last ones died with that supervisor), and
    /// the same heartbeat and restart rules as for a child.
    /// </summary>
    private void AdoptBrain(int pid)
    {
        if (AdoptedBrain.TryOpen(pid) is not { } brain)
        {
            _log.Warning("NPC {NpcId}'s brain (PID {Pid}) ended before it could be adopted; starting a new one", _npcId, pid);
            Self.Tell(Start.Instance);
            return;
        }

        Began(brain);
        _scoped = true;
        _log.Info("Adopted the brain of NPC {NpcId} (PID {Pid}) running in {Unit}", _npcId, pid, _unit.Value);
        Publish("adopted", pid: pid, detail: $"found running in {_unit}");
        var (scopes, unit, limits, self) = (_scopes!, _unit, _limits, Self);
        async Task<ScopeReady> ReattachAsync()
        {
            await scopes.SetLimitsAsync(unit, limits, CancellationToken.None).ConfigureAwait(false);
            return await ScopeReadyAsync(scopes, unit, brain, self).ConfigureAwait(false);
        }

        ReattachAsync().PipeTo(Self, failure: e => new ScopeFailed(brain, e));
    }

    /// <summary>The scope's status, and a watch on its state: systemd's word that it ended tells at once that an adopted brain is gone.</summary>
    private static async Task<ScopeReady> ScopeReadyAsync(ISystemdScopes scopes, NpcScopeName unit, BrainProcess brain, IActorRef self)
    {
        var watch = await scopes.WatchStateAsync(unit, state => self.Tell(new ScopeStateChanged(brain, state)), CancellationToken.None).ConfigureAwait(false);
        return new ScopeReady(brain, await scopes.GetStatusAsync(unit, CancellationToken.None).ConfigureAwait(false), watch);
    }

    private void Began(BrainProcess brain)
    {
        _brain = brain;
        _starts++;
        (_startedAt, _lastStateAt, _killedBecause) = (_clock.GetUtcNow(), null, null);
    }

    /// <summary>The brain is in its scope with its limits: from now on it may outlive this actor, and its OOM kills are watched.</summary>
    private void OnScopeReady(ScopeReady ready)
    {
        if (!ReferenceEquals(ready.Brain, _brain) || ready.Status is not { } status)
        {
            ready.StateWatch.Dispose();
            return; // that brain is gone already; its exit has been handled
        }

        _stateWatch?.Dispose();
        _stateWatch = ready.StateWatch;

        _scoped = true;
        _log.Info("NPC {NpcId} (PID {Pid}) runs in {Unit}: CPUQuota={CpuQuota}%, MemoryMax={MemoryMax}", _npcId, ready.Brain.Pid, _unit.Value, _limits.CpuQuotaPercent, _limits.MemoryMaxBytes);
        if (_lastStateAt is not null)
        {
            EndStartupQuota(); // its first state came before systemd's answer
        }

        _oomWatch?.Dispose();
        try
        {
            var (self, pid, memoryMax) = (Self, ready.Brain.Pid, _limits.MemoryMaxBytes);
            _oomWatch = _scopes!.WatchOomKills(status, () => self.Tell(new Oom(pid, $"the kernel's OOM killer acted in {status.ControlGroup} (MemoryMax={memoryMax})")));
        }
        catch (Exception e)
        {
            _log.Warning("Cannot watch {Unit} for OOM kills ({Error}); one will show as SIGKILL", _unit.Value, e.Message);
        }
    }

    /// <summary>systemd says the scope ended: an adopted brain, which sends no exit event, is gone (the pidfd poll is the backstop).</summary>
    private void OnScopeStateChanged(ScopeStateChanged changed)
    {
        _log.Debug("{Unit} is {ActiveState}", _unit.Value, changed.ActiveState);
        if (changed.ActiveState is "inactive" or "failed" && ReferenceEquals(changed.Brain, _brain) && changed.Brain is AdoptedBrain { HasExited: true } adopted)
        {
            Self.Tell(new Exited(adopted));
        }
    }

    private void OnState()
    {
        var first = _lastStateAt is null;
        _lastStateAt = _clock.GetUtcNow();
        if (first && _scoped)
        {
            EndStartupQuota();
        }
    }

    /// <summary>The brain is up: from now on it has its own CPU quota, not the start-up one.</summary>
    private void EndStartupQuota()
    {
        if (!_startupQuota || _scopes is not { } scopes)
        {
            return;
        }

        _startupQuota = false;
        var (unit, log, limits) = (_unit, _log, _limits);
        scopes.SetLimitsAsync(unit, limits, CancellationToken.None).ContinueWith(
            t => log.Warning("Could not give {Unit} its CPU quota of {CpuQuota}% after start-up: {Error}", unit.Value, limits.CpuQuotaPercent, t.Exception?.GetBaseException().Message),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    /// <summary>Kills a brain that fell silent: no first state within the start-up time, or none for the heartbeat timeout since.
    /// Also notices the end of an adopted brain, which is not our child and sends no exit event.</summary>
    private void CheckHeartbeatNow()
    {
        if (_brain is AdoptedBrain { HasExited: true } adopted)
        {
            Self.Tell(new Exited(adopted));
            return;
        }

        if (_brain is not { HasExited: false } brain || _stopRequester is not null || _killedBecause is not null)
        {
            return;
        }

        var (since, allowed) = _lastStateAt is { } last ? (last, _settings.Heartbeat) : (_startedAt, _settings.Startup);
        var silence = _clock.GetUtcNow() - since;
        if (silence <= allowed)
        {
            return;
        }

        _killedBecause = _lastStateAt is null ? $"no first state within {allowed}" : $"no state for {silence:g} (heartbeat timeout {allowed})";
        _log.Warning("Killing the brain of NPC {NpcId} (PID {Pid}): {Reason}", _npcId, brain.Pid, _killedBecause);
        brain.Signal(SigKill);
    }

    private void ApplyLimits(SetLimits set)
    {
        // Kept for the next start either way, so a restarted brain keeps what the governor gave it.
        _limits = set.Limits;
        _startupQuota = false; // what is applied now replaces the start-up quota
        if (_scopes is not { } scopes)
        {
            Sender.Tell(new LimitsSet(_npcId, false, "the NPC backend is none: limits are not enforced on this host"));
            return;
        }

        if (_brain is null)
        {
            Sender.Tell(new LimitsSet(_npcId, false, "the brain is not running; the limits apply from its next start"));
            return;
        }

        var npcId = _npcId;
        scopes.SetLimitsAsync(_unit, set.Limits, CancellationToken.None)
            .PipeTo(Sender, success: () => new LimitsSet(npcId, true), failure: e => new LimitsSet(npcId, false, e.GetBaseException().Message));
    }

    private void OnScopeFailed(ScopeFailed failed)
    {
        _log.Error("NPC {NpcId}'s scope {Unit} could not be made: {Error}; the brain must not run without its limits", _npcId, _unit.Value, failed.Error.GetBaseException().Message);
        if (failed.Brain is { } brain && ReferenceEquals(brain, _brain))
        {
            Kill(); // its exit schedules the restart
        }
        else if (failed.Brain is null)
        {
            ScheduleRestart($"scope not ready: {failed.Error.GetBaseException().Message}");
        }
    }

    private void OnExited(Exited exited)
    {
        if (!ReferenceEquals(exited.Brain, _brain) || _detached)
        {
            return;
        }

        var pid = exited.Brain.Pid;
        var exitCode = exited.Brain.ExitCode;
        var adopted = exited.Brain.IsAdopted;
        (_brain, _scoped) = (null, false);
        _stateWatch?.Dispose();
        _stateWatch = null;
        exited.Brain.Dispose();
        // .NET reports a death by signal N as 128 + N.
        int? signal = exitCode is > 128 and <= 128 + 64 ? exitCode - 128 : null;
        var detail = adopted ? JoinDetail(_killedBecause, "adopted: its exit status went to systemd, not to this supervisor") : _killedBecause;
        Publish("exited", pid: pid, exitCode: signal is null ? exitCode : null, signal: signal, detail: detail);
        if (_scopes is { } scopes)
        {
            // The scope says whether the kernel's OOM killer ended it; a failed scope is then forgotten.
            var (unit, self) = (_unit, Self);
            async Task ClassifyAsync()
            {
                var status = await scopes.GetStatusAsync(unit, CancellationToken.None).ConfigureAwait(false);
                if (status is { ActiveState: "failed" })
                {
                    await scopes.ResetFailedAsync(unit, CancellationToken.None).ConfigureAwait(false);
                }

                if (status?.Result == "oom-kill")
                {
                    self.Tell(new Oom(pid, $"{unit} ended with Result=oom-kill"));
                }
            }

            _ = ClassifyAsync().ContinueWith(t => _log.Warning("Could not read how {Unit} ended: {Error}", unit.Value, t.Exception?.GetBaseException().Message), TaskContinuationOptions.OnlyOnFaulted);
        }

        if (_stopRequester is { } requester)
        {
            Timers.Cancel("kill");
            _log.Info("The brain of NPC {NpcId} stopped with exit code {ExitCode}", _npcId, exitCode);
            requester.Tell(new Stopped(_npcId));
            return;
        }

        ScheduleRestart(signal is { } s ? $"killed by signal {s}" : exitCode is { } code ? $"exit code {code}" : "ended (adopted)");
    }

    private static string JoinDetail(string? first, string second) => first is null ? second : $"{first}; {second}";

    private void ScheduleRestart(string why)
    {
        if (_restarts.NextDelay(_clock.GetUtcNow()) is { } delay)
        {
            _log.Warning("The brain of NPC {NpcId} is down ({Reason}); starting it again in {RestartDelay} (restart {Restarts} within {RestartWindow})", _npcId, why, delay, _restarts.RecentRestarts, _settings.RestartWindow);
            Timers.StartSingleTimer("restart", Start.Instance, delay);
            return;
        }

        _gaveUp = true;
        var detail = $"more than {_settings.MaxRestarts} restarts within {_settings.RestartWindow}; last: {why}";
        _log.Error("Gave up the brain of NPC {NpcId}: {Reason}", _npcId, detail);
        Publish("gave-up", detail: detail);
    }

    private void BeginStop()
    {
        _stopRequester = Sender;
        Timers.Cancel("restart");
        if (_brain is not { } brain)
        {
            Sender.Tell(new Stopped(_npcId));
            return;
        }

        // SIGTERM: the brain checkpoints, then exits 0.
        if (!brain.Signal(SigTerm))
        {
            _log.Warning("SIGTERM to the brain of NPC {NpcId} (PID {Pid}) failed: errno {Errno}", _npcId, brain.Pid, Marshal.GetLastPInvokeError());
        }

        Timers.StartSingleTimer("kill", KillNow.Instance, _settings.StopTimeout);
    }

    /// <summary>
    /// The supervisor is being restarted by systemd: the brain stays in its scope for the next one
    /// to adopt, after a checkpoint so that nothing learnt since the last one is at risk. A brain
    /// without a scope cannot be adopted and is stopped as usual.
    /// </summary>
    private void Detach()
    {
        if (!_scoped || _brain is not { HasExited: false } brain)
        {
            BeginStop();
            return;
        }

        _detached = true;
        Timers.Cancel("restart");
        Command(new NpcCommandBody("checkpoint"));
        _log.Info("Leaving the brain of NPC {NpcId} (PID {Pid}) running in {Unit} for the next supervisor", _npcId, brain.Pid, _unit.Value);
        Sender.Tell(new Stopped(_npcId));
    }

    private void Kill()
    {
        if (_brain is { HasExited: false } brain)
        {
            _log.Warning("Killing the brain of NPC {NpcId} (PID {Pid})", _npcId, brain.Pid);
            brain.Signal(SigKill);
        }
    }

    /// <summary>A command to the brain on <c>{env}.npc.{id}.command</c>.</summary>
    private void Command(NpcCommandBody command) =>
        _bridge.Tell(new Publish<NpcCommandBody>(_commands, Envelopes.Of(_source, command)));

    private void Publish(string lifecycleEvent, int? pid = null, int? exitCode = null, int? signal = null, string? detail = null) =>
        _bridge.Tell(new Publish<NpcLifecycleBody>(_events, Envelopes.Of(_source,
            new NpcLifecycleBody(_npcId, lifecycleEvent, pid, exitCode, signal, _restarts.RecentRestarts, _scopes is null ? null : _unit.Value, detail))));

    private sealed record Start
    {
        public static readonly Start Instance = new();
    }

    private sealed record KillNow
    {
        public static readonly KillNow Instance = new();
    }

    private sealed record Adopt(int Pid);

    private sealed record Exited(BrainProcess Brain);

    private sealed record ScopePrepared
    {
        public static readonly ScopePrepared Instance = new();
    }

    /// <summary>The brain is in its scope (just made, or found when adopting); <paramref name="Status"/> is null when the scope is already gone.</summary>
    private sealed record ScopeReady(BrainProcess Brain, ScopeStatus? Status, IDisposable StateWatch);

    private sealed record ScopeStateChanged(BrainProcess Brain, string ActiveState);

    private sealed record ScopeFailed(BrainProcess? Brain, Exception Error);

    private sealed record Oom(int Pid, string How);

    private sealed record CheckHeartbeat
    {
        public static readonly CheckHeartbeat Instance = new();
    }
}
