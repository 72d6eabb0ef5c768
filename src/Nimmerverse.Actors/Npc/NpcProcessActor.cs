using System.Diagnostics;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Event;
using Nimmerverse.Brains.Contracts;
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
/// A scope still running from an earlier supervisor is stopped before a new brain starts, so no
/// NPC ever runs twice (re-adopting it instead is the next step).
/// The brain's own <c>npc_state</c> messages are its heartbeat: a brain with no first state within
/// the start-up time, or silent for the heartbeat timeout after, is killed and restarted.
/// </summary>
public sealed partial class NpcProcessActor : ReceiveActor, IWithTimers
{
    private const int SigTerm = 15;
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
    private Process? _process;
    private int _starts;
    private int? _lastExitCode;
    private bool _gaveUp;
    private IActorRef? _stopRequester;
    private DateTimeOffset _startedAt;
    private DateTimeOffset? _lastStateAt;
    private string? _killedBecause;

    public NpcProcessActor(int npcId, NpcHostSettings settings, IActorRef bridge, Subjects subjects, string hostName, ISystemdScopes? scopes = null, TimeProvider? clock = null)
    {
        _npcId = npcId;
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
        Receive<ScopePrepared>(_ => StartBrain());
        Receive<ScopeStarted>(started => _log.Info("NPC {NpcId} (PID {Pid}) runs in {Unit}: CPUQuota={CpuQuota}%, MemoryMax={MemoryMax}", _npcId, started.Pid, _unit.Value, _limits.CpuQuotaPercent, _limits.MemoryMaxBytes));
        Receive<ScopeFailed>(OnScopeFailed);
        Receive<Oom>(oom => Publish("oom", pid: oom.Pid, detail: $"{_unit} ended with Result=oom-kill"));
        Receive<Exited>(OnExited);
        Receive<SetLimits>(ApplyLimits);
        Receive<Subscribed>(_ => { });
        Receive<Inbound<NpcStateBody>>(_ => _lastStateAt = _clock.GetUtcNow());
        Receive<CheckHeartbeat>(_ => CheckHeartbeatNow());
        Receive<SetTickRate>(set => _bridge.Tell(new Publish<NpcCommandBody>(_commands, new Envelope<NpcCommandBody>(
            MessageHeader.New<NpcCommandBody>(_source), new NpcCommandBody("set_tick_rate", set.TickRateHz)))));
        Receive<StopGracefully>(_ => BeginStop());
        Receive<KillNow>(_ => Kill());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(int npcId, NpcHostSettings settings, IActorRef bridge, Subjects subjects, string hostName, ISystemdScopes? scopes = null, TimeProvider? clock = null) =>
        Akka.Actor.Props.Create(() => new NpcProcessActor(npcId, settings, bridge, subjects, hostName, scopes, clock));

    protected override void PreStart()
    {
        // The brain's own state messages are its heartbeat.
        _bridge.Tell(new Subscribe<NpcStateBody>(_states, Self));
        Timers.StartPeriodicTimer("heartbeat", CheckHeartbeat.Instance, TimeSpan.FromSeconds(1));
        Self.Tell(Start.Instance);
    }

    /// <summary>Should the actor stop without a graceful stop first (a crash of the host), the brain must not outlive it unwatched.</summary>
    protected override void PostStop() => Kill();

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
            var self = Self;
            process.Exited += (_, _) => self.Tell(new Exited(process));
            process.Start();
            _process = process;
            _starts++;
            (_startedAt, _lastStateAt, _killedBecause) = (_clock.GetUtcNow(), null, null);
            _log.Info("Started the brain of NPC {NpcId} as PID {Pid} (start {Starts})", _npcId, process.Id, _starts);
            Publish(_starts == 1 ? "spawned" : "restarted", pid: process.Id);
            if (_scopes is { } scopes)
            {
                var pid = process.Id;
                scopes.StartScopeAsync(_unit, [pid], _limits, $"Nimmerverse NPC {_npcId} brain", CancellationToken.None)
                    .PipeTo(Self, success: () => new ScopeStarted(pid), failure: e => new ScopeFailed(process, e));
            }
        }
        catch (Exception e)
        {
            _log.Error("Cannot start the brain of NPC {NpcId} from {BrainPath}: {Error}", _npcId, _settings.BrainPath, e.Message);
            ScheduleRestart($"cannot start: {e.Message}");
        }
    }

    /// <summary>Kills a brain that fell silent: no first state within the start-up time, or none for the heartbeat timeout since.</summary>
    private void CheckHeartbeatNow()
    {
        if (_process is not { HasExited: false } process || _stopRequester is not null || _killedBecause is not null)
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
        _log.Warning("Killing the brain of NPC {NpcId} (PID {Pid}): {Reason}", _npcId, process.Id, _killedBecause);
        process.Kill();
    }

    private void ApplyLimits(SetLimits set)
    {
        // Kept for the next start either way, so a restarted brain keeps what the governor gave it.
        _limits = set.Limits;
        if (_scopes is not { } scopes)
        {
            Sender.Tell(new LimitsSet(_npcId, false, "the NPC backend is none: limits are not enforced on this host"));
            return;
        }

        if (_process is null)
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
        if (failed.Process is { } process && ReferenceEquals(process, _process))
        {
            Kill(); // its exit schedules the restart
        }
        else if (failed.Process is null)
        {
            ScheduleRestart($"scope not ready: {failed.Error.GetBaseException().Message}");
        }
    }

    private void OnExited(Exited exited)
    {
        if (!ReferenceEquals(exited.Process, _process))
        {
            return;
        }

        var pid = exited.Process.Id;
        _lastExitCode = exited.Process.ExitCode;
        _process = null;
        exited.Process.Dispose();
        // .NET reports a death by signal N as 128 + N.
        int? signal = _lastExitCode is > 128 and <= 128 + 64 ? _lastExitCode - 128 : null;
        Publish("exited", pid: pid, exitCode: signal is null ? _lastExitCode : null, signal: signal, detail: _killedBecause);
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
                    self.Tell(new Oom(pid));
                }
            }

            _ = ClassifyAsync().ContinueWith(t => _log.Warning("Could not read how {Unit} ended: {Error}", unit.Value, t.Exception?.GetBaseException().Message), TaskContinuationOptions.OnlyOnFaulted);
        }

        if (_stopRequester is { } requester)
        {
            Timers.Cancel("kill");
            _log.Info("The brain of NPC {NpcId} stopped with exit code {ExitCode}", _npcId, _lastExitCode);
            requester.Tell(new Stopped(_npcId));
            return;
        }

        ScheduleRestart(signal is { } s ? $"killed by signal {s}" : $"exit code {_lastExitCode}");
    }

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
        if (_process is not { } process)
        {
            Sender.Tell(new Stopped(_npcId));
            return;
        }

        // SIGTERM: the brain checkpoints, then exits 0. Process.Kill would send SIGKILL.
        if (Kill(process.Id, SigTerm) != 0)
        {
            _log.Warning("SIGTERM to the brain of NPC {NpcId} (PID {Pid}) failed: errno {Errno}", _npcId, process.Id, Marshal.GetLastPInvokeError());
        }

        Timers.StartSingleTimer("kill", KillNow.Instance, _settings.StopTimeout);
    }

    private void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            _log.Warning("Killing the brain of NPC {NpcId} (PID {Pid})", _npcId, process.Id);
            process.Kill();
        }
    }

    private void Publish(string lifecycleEvent, int? pid = null, int? exitCode = null, int? signal = null, string? detail = null) =>
        _bridge.Tell(new Publish<NpcLifecycleBody>(_events, new Envelope<NpcLifecycleBody>(
            MessageHeader.New<NpcLifecycleBody>(_source),
            new NpcLifecycleBody(_npcId, lifecycleEvent, pid, exitCode, signal, _restarts.RecentRestarts, _scopes is null ? null : _unit.Value, detail))));

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    private sealed record Start
    {
        public static readonly Start Instance = new();
    }

    private sealed record KillNow
    {
        public static readonly KillNow Instance = new();
    }

    private sealed record Exited(Process Process);

    private sealed record ScopePrepared
    {
        public static readonly ScopePrepared Instance = new();
    }

    private sealed record ScopeStarted(int Pid);

    private sealed record ScopeFailed(Process? Process, Exception Error);

    private sealed record Oom(int Pid);

    private sealed record CheckHeartbeat
    {
        public static readonly CheckHeartbeat Instance = new();
    }
}
