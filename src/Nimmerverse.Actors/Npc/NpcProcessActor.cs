using Akka.Actor;
using Nimmerverse.Actors.Telemetry;
using Akka.Event;
using Nimmerverse.Actors.Logging;
using Nimmerverse.Protocol;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;
using Nimmerverse.Actors.Npc.Placement;
using static Nimmerverse.Actors.Npc.NpcHostMessages;

namespace Nimmerverse.Actors.Npc;

/// <summary>
/// One NPC's brain, supervised through named states:
/// <list type="bullet">
/// <item><b>Preparing</b>: with systemd, a scope an earlier supervisor left is cleared first, so no NPC ever runs twice;</item>
/// <item><b>Running</b>: a child it started, or a brain it adopted in its scope after a supervisor restart (held by a
/// pidfd, its end announced by systemd with a pidfd poll as the backstop); its <c>npc_state</c> messages are its
/// heartbeat (no first state within the start-up time, or silence for the heartbeat timeout, and it is killed);</item>
/// <item><b>Backoff</b>: it ended; it starts again after an exponential delay with jitter (<see cref="RestartPolicy"/>);</item>
/// <item><b>GivenUp</b>: too many restarts in the window;</item>
/// <item><b>Stopping</b>: SIGTERM sent (the brain checkpoints), SIGKILL after the stop timeout;</item>
/// <item><b>Retiring</b>: its lifetime over (<c>Npc:Lifetime</c>), stopping like that, after which a newcomer starts in its place, learning from nothing;</item>
/// <item><b>Detached</b>: left running in its scope for the next supervisor (<c>systemctl restart</c>);</item>
/// <item><b>Stopped</b>.</item>
/// </list>
/// With systemd each new brain is moved into <c>nimmerverse-npc-&lt;id&gt;.scope</c> with its limits right
/// after it starts (<see cref="BrainScope"/>); a brain whose scope cannot be made is killed, since it must not
/// run without its limits. Every step is an <c>npc_lifecycle</c> event on <c>{env}.supervisor.{host}.npc</c>
/// and a log line with the NPC_ID field. A brain in its scope outlives this actor; one without is killed with it.
/// </summary>
public sealed partial class NpcProcessActor : ReceiveActor, IWithTimers
{

    private static readonly TimeSpan HeartbeatCheckInterval = TimeSpan.FromSeconds(1);

    /// <summary>Renewals sent per lease: a bus outage of half a lease costs none.</summary>
    private const int RenewalsPerLease = 4;

    /// <summary>Checks this far apart mean this supervisor itself was stalled (SIGSTOP, a starved host), not its brain.</summary>
    private static readonly TimeSpan OwnStallAfter = 3 * HeartbeatCheckInterval;

    private readonly int _npcId;
    private readonly NpcHostSettings _settings;
    private readonly IActorRef _bridge;
    private readonly Subject _events;
    private readonly Subject _commands;
    private readonly Subject _states;
    private readonly MessageSource _source;
    private readonly RestartPolicy _restarts;
    private readonly string _hostName;
    private readonly TimeProvider _clock;
    private readonly BrainScope? _scope;
    private readonly IBrainLauncher _launcher;
    private readonly int? _adoptPid;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<IActorRef> _stopRequesters = [];
    private readonly IReadOnlyList<string> _arguments;
    private readonly IReadOnlyList<string> _newcomerArguments;
    private readonly Random _lifetimes;
    private bool _newcomer; // the next brain is a newcomer in the place of one that retired
    private ScopeLimits _limits;

    // The brain of the current Running or Stopping state.
    private BrainProcess? _brain;
    private bool _scoped;
    private bool _startupQuota; // its scope still has the start-up CPU quota; its own limits follow its first state
    private IDisposable? _oomWatch;
    private IDisposable? _stateWatch;
    private int _starts;
    private DateTimeOffset _startedAt;
    private DateTimeOffset? _lastStateAt;

    /// <summary>The permission violations this brain had reported so far (null: none heard yet from an adopted one).</summary>
    private long? _violationsReported;

    /// <summary>A brain that keeps knocking at closed subjects would otherwise log every tick.</summary>
    private RateLimitedLog? _violationsLog;
    private string? _killedBecause;

    // Silence is the brain's own only while this supervisor could have heard it: its NATS
    // connection open, and this process not stalled; silence before _judgeFrom does not count.
    private bool _busOpen = true;
    private DateTimeOffset _judgeFrom = DateTimeOffset.MinValue;
    private long _lastCheck;
    private int? _lastOomPid;

    // Its lease is renewed only while this member sees a majority of the cluster (PlacementMessages.ClusterStanding).
    private bool _inMajority = true;

    public NpcProcessActor(int npcId, NpcHostSettings settings, string natsUrl, IActorRef bridge, Subjects subjects, string hostName, ISystemdScopes? scopes = null, TimeProvider? clock = null, int? adoptPid = null, IBrainLauncher? launcher = null)
    {
        (_npcId, _settings, _bridge, _adoptPid, _limits) = (npcId, settings, bridge, adoptPid, settings.Limits);
        _arguments = settings.ArgumentsFor(npcId, natsUrl, subjects.Environment, adoptable: scopes is not null);
        _newcomerArguments = settings.ArgumentsFor(npcId, natsUrl, subjects.Environment, adoptable: scopes is not null, fresh: true);
        _lifetimes = new Random(npcId); // the same ages for an NPC on every run, different between NPCs
        (_events, _commands, _states) = (subjects.SupervisorNpc(hostName), subjects.NpcCommand(npcId), subjects.NpcState(npcId));
        _hostName = hostName;
        _source = new MessageSource($"npc-host@{hostName}", "supervisor", Tiers.Cells);
        _clock = clock ?? TimeProvider.System;
        _restarts = settings.NewRestartPolicy(new Random(HashCode.Combine(npcId, Environment.ProcessId)));
        var unit = NpcScopeName.For(npcId);
        Unit = unit.Value;
        _scope = scopes is null ? null : new BrainScope(scopes, unit, _log);
        _launcher = launcher ?? ProcessBrainLauncher.Instance;
        Common();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The brain's scope unit, named in logs and events.</summary>
    private string Unit { get; }

    /// <summary>The actor of one NPC; with <paramref name="adoptPid"/> it adopts that brain, already running in its scope, instead of starting one.</summary>
    public static Props Props(int npcId, NpcHostSettings settings, string natsUrl, IActorRef bridge, Subjects subjects, string hostName, ISystemdScopes? scopes = null, TimeProvider? clock = null, int? adoptPid = null, IBrainLauncher? launcher = null) =>
        Akka.Actor.Props.Create(() => new NpcProcessActor(npcId, settings, natsUrl, bridge, subjects, hostName, scopes, clock, adoptPid, launcher));

    protected override void PreStart()
    {
        _bridge.Tell(new Subscribe<NpcStateBody>(_states, Self)); // the brain's heartbeat
        Timers.StartPeriodicTimer("heartbeat", CheckHeartbeat.Instance, HeartbeatCheckInterval);
        if (_settings.LeaseTimeout > TimeSpan.Zero)
        {
            Timers.StartPeriodicTimer("lease", RenewLease.Instance, _settings.LeaseTimeout / RenewalsPerLease);
        }

        Context.System.EventStream.Subscribe<NatsConnectionChanged>(Self);
        if (_adoptPid is { } pid && _scope is not null)
        {
            Adopt(pid);
        }
        else
        {
            Prepare();
        }
    }

    /// <summary>A brain in its scope outlives the actor (the next supervisor adopts it); one without must not run unwatched.</summary>
    protected override void PostStop()
    {
        OrganismMetrics.NpcGone(_npcId);
        Context.System.EventStream.Unsubscribe(Self);
        _stateWatch?.Dispose();
        _oomWatch?.Dispose();
        if (_brain is { HasExited: false } brain && _scoped)
        {
            _log.Info("NPC {NpcId}'s brain (PID {Pid}) keeps running in {Unit} for the next supervisor to adopt", _npcId, brain.Pid, Unit);
            return;
        }

        Kill();
    }

    private void Preparing()
    {
        Receive<ScopePrepared>(_ => Launch());
        Receive<ScopeFailed>(failed => ScheduleRestart($"scope not ready: {failed.Error.GetBaseException().Message}"));
        EndWithNothingRunning();
    }

    private void Running()
    {
        Receive<ScopeReady>(OnScopeReady);
        Receive<ScopeStateChanged>(OnScopeStateChanged);
        Receive<ScopeFailed>(OnScopeFailed);
        Receive<Inbound<NpcStateBody>>(state => OnState(state.Envelope.Body));
        Receive<CheckHeartbeat>(_ => CheckHeartbeatNow());
        Receive<Exited>(exited => ReferenceEquals(exited.Brain, _brain) && exited.Brain.ExitCode == BrainCommandLine.LeaseLapsedExitCode, exited =>
        {
            // Unrenewed for a whole lease: this supervisor was cut off, paused (SIGSTOP, a frozen VM) or starved, and
            // its view of the cluster may be stale; the majority may already run the NPC. The host decides, not a restart.
            Ended(exited);
            _log.Warning("The brain of NPC {NpcId} stopped itself: its lease lapsed, unrenewed by this supervisor; it is not restarted here", _npcId);
            Context.Parent.Tell(new LeaseLapsed(_npcId));
            BecomeState(GivenUp);
        });
        Receive<Exited>(exited => ReferenceEquals(exited.Brain, _brain), exited => ScheduleRestart(Ended(exited)));
        Receive<StopGracefully>(_ => BeginStop());
        Receive<LeaveRunning>(_ => Detach());
        Receive<Retire>(_ => BeginRetire());
        Receive<RenewLease>(_ => _inMajority, _ => Command(new NpcCommandBody(NpcCommandBody.RenewLease)));
    }

    private void Stopping()
    {
        AwaitingExit();
        Receive<StopGracefully>(_ => _stopRequesters.Add(Sender));
        Receive<LeaveRunning>(_ => _stopRequesters.Add(Sender));
        Receive<Exited>(exited => ReferenceEquals(exited.Brain, _brain), exited =>
        {
            Ended(exited);
            Timers.Cancel("kill");
            _log.Info("The brain of NPC {NpcId} stopped", _npcId);
            _stopRequesters.ForEach(r => r.Tell(new Stopped(_npcId)));
            BecomeState(Stopped);
        });
    }

    /// <summary>Like <see cref="Stopping"/>, but a newcomer starts once the brain is gone; a stop request meanwhile makes it a plain stop.</summary>
    private void Retiring()
    {
        AwaitingExit();
        Receive<StopGracefully>(_ => StopInstead());
        Receive<LeaveRunning>(_ => StopInstead());
        Receive<Exited>(exited => ReferenceEquals(exited.Brain, _brain), exited =>
        {
            Ended(exited);
            Timers.Cancel("kill");
            _newcomer = true;
            Prepare();
        });

        void StopInstead()
        {
            _stopRequesters.Add(Sender);
            BecomeState(Stopping);
        }
    }

    /// <summary>What a state waiting for its SIGTERMed brain to exit understands: its scope, an adopted brain's end, the kill timer.</summary>
    private void AwaitingExit()
    {
        Receive<ScopeReady>(OnScopeReady);
        Receive<ScopeStateChanged>(OnScopeStateChanged);
        Receive<CheckHeartbeat>(_ => NoticeAdoptedExit());
        Receive<KillNow>(_ => Kill());
    }

    private void Backoff()
    {
        // A member cut off from the majority starts no brain: the majority is about to run this NPC elsewhere.
        Receive<Start>(_ => _inMajority, _ => Prepare());
        Receive<Start>(_ => Timers.StartSingleTimer("restart", Start.Instance, HeartbeatCheckInterval));
        EndWithNothingRunning();
    }

    /// <summary>Gave up, or stopped: nothing runs and nothing will; a stop request is answered at once.</summary>
    private void GivenUp() => EndWithNothingRunning();

    private void Stopped() => EndWithNothingRunning();

    /// <summary>Left running in its scope for the next supervisor: this actor no longer watches it.</summary>
    private void Detached() => EndWithNothingRunning();

    private void EndWithNothingRunning()
    {
        Receive<StopGracefully>(_ => Stop());
        Receive<LeaveRunning>(_ => Stop());

        void Stop()
        {
            Timers.Cancel("restart");
            Sender.Tell(new Stopped(_npcId));
            BecomeState(Stopped);
        }
    }

    /// <summary>What every state understands; registered after the state's own handlers, so those win.</summary>
    private void Common()
    {
        Receive<SetLimits>(ApplyLimits);
        Receive<SetTickRate>(set => Command(new NpcCommandBody("set_tick_rate", set.TickRateHz)));
        // One report per brain process: the kernel may kill twice in one episode (a child of the brain
        // first), and on cgroup v2 the scope's Result tells the same story again.
        Receive<Oom>(oom => oom.Pid != _lastOomPid, oom =>
        {
            _lastOomPid = oom.Pid;
            _log.Warning("The brain of NPC {NpcId} (PID {Pid}) ran out of memory: {How}", _npcId, oom.Pid, oom.How);
            Publish("oom", pid: oom.Pid, detail: oom.How);
        });
        Receive<ScopeReady>(stale => stale.StateWatch.Dispose());
        Receive<PlacementMessages.ClusterStanding>(standing => _inMajority = standing.InMajority);
        Receive<NatsConnectionChanged>(changed =>
        {
            _busOpen = changed.Open;
            if (changed.Open)
            {
                _judgeFrom = _clock.GetUtcNow(); // states flow again from now
            }
        });
        ReceiveAny(_ => { }); // a brain's late exit, states, ticks and timers of a state that has passed
    }

    private void BecomeState(Action state) => Become(() =>
    {
        state();
        Common();
    });

    private sealed record Start
    {
        public static readonly Start Instance = new();
    }

    private sealed record KillNow
    {
        public static readonly KillNow Instance = new();
    }

    private sealed record Exited(BrainProcess Brain);

    private sealed record ScopePrepared
    {
        public static readonly ScopePrepared Instance = new();
    }

    private sealed record ScopeStateChanged(BrainProcess Brain, string ActiveState);

    private sealed record ScopeFailed(BrainProcess? Brain, Exception Error);

    private sealed record Oom(int Pid, string How);

    private sealed record CheckHeartbeat
    {
        public static readonly CheckHeartbeat Instance = new();
    }

    private sealed record RenewLease
    {
        public static readonly RenewLease Instance = new();
    }

    private sealed record Retire
    {
        public static readonly Retire Instance = new();
    }
}
