using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Nimmerverse.Actors.Supervision;
using Nimmerverse.Protocol;
using Nimmerverse.Actors.Npc.Placement;
using static Nimmerverse.Actors.Npc.NpcHostMessages;
using static Nimmerverse.Actors.Npc.Placement.PlacementMessages;

namespace Nimmerverse.Actors.Npc;

/// <summary>
/// This host's NPC brains: one <see cref="NpcProcessActor"/> per NPC it is to run. Which NPCs those are, the
/// cluster's <see cref="NpcPlacementActor"/> says (a <see cref="RunSet"/>, in answer to this host's report every
/// second); without a placement (a spec) it runs ids 0..Population-1. With systemd it first adopts the brains an
/// earlier supervisor left running in their scopes (one actor per NPC, so never two brains for one id) and reports
/// them; it starts the NPCs of its run set one every spawn interval and stops, each with its checkpoint, those that
/// leave it. Stops them all gracefully and in parallel when asked (the supervisor does so during its own shutdown,
/// so every brain hands over its weights first), or leaves scoped brains running when systemd is restarting the
/// supervisor.
/// </summary>
public sealed class NpcHostActor : ReceiveActor, IWithTimers
{
    /// <summary>Its name under <c>/user</c> on every member with an NPC host: the governor and the dashboard find it there.</summary>
    public const string ActorName = "npc-host";

    private readonly NpcHostSettings _settings;
    private readonly IActorRef _bridge;
    private readonly Subjects _subjects;
    private readonly string _hostName;
    private readonly ISystemdScopes? _scopes;
    private readonly IBrainLauncher? _launcher;
    private readonly ICanTell? _placement;
    private readonly string _natsUrl;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<int, IActorRef> _npcs = [];
    private readonly HashSet<int> _stopping = [];
    private readonly SortedSet<int> _toSpawn = [];
    private HashSet<int> _runSet = [];
    private ClusterStanding _standing = new(true);
    private readonly TimeSpan _holdAfterLapse;
    private long _spawnsHeldUntil;
    private bool _ready;

    public NpcHostActor(NpcHostSettings settings, string natsUrl, IActorRef bridge, Subjects subjects, string hostName, ISystemdScopes? scopes, IBrainLauncher? launcher = null, ICanTell? placement = null, TimeSpan? holdAfterLapse = null)
    {
        _holdAfterLapse = holdAfterLapse ?? settings.LeaseTimeout;
        _scopes = scopes;
        _launcher = launcher;
        _placement = placement;
        _natsUrl = natsUrl;
        _settings = settings;
        _bridge = bridge;
        _subjects = subjects;
        _hostName = hostName;
        Receive<StopAll>(StopAll);
        Receive<Survivors>(OnSurvivors);
        Receive<RunSet>(set => _ready, set => Reconcile(set.NpcIds));
        Receive<Report>(_ => _placement?.Tell(new HostReport(_hostName, _settings.Population, _npcs.Keys.Order().ToArray()), Self));
        Receive<SpawnNext>(_ => Spawn());
        Receive<Stopped>(stopped => StoppedByPlacement(stopped.NpcId));
        Receive<LeaseLapsed>(lapsed => OnLeaseLapsed(lapsed.NpcId));
        Receive<Terminated>(OnTerminated);
        Receive<ClusterStanding>(OnStanding);
        Receive<SetLimits>(set => Route(set.NpcId, set, () => new LimitsSet(set.NpcId, false, $"NPC {set.NpcId} does not run on this host")));
        Receive<SetTickRate>(set => Route(set.NpcId, set, null));
        Receive<GetNpcs>(_ => Sender.Tell(new HostedNpcs(_hostName, _npcs.Keys.Where(id => !_stopping.Contains(id)).Order().ToArray())));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>
    /// The host; <paramref name="scopes"/> is systemd, to run each brain in its scope with its limits (null runs plain child
    /// processes); <paramref name="launcher"/> starts and adopts the brains (real processes unless a spec says otherwise);
    /// <paramref name="placement"/> is the cluster's NPC placement (null: this host runs ids 0..Population-1);
    /// <paramref name="holdAfterLapse"/> how long it starts no brain after one let its lease lapse (default one lease;
    /// the supervisor gives the time a paused member may take to learn it was downed).
    /// </summary>
    public static Props Props(NpcHostSettings settings, string natsUrl, IActorRef bridge, Subjects subjects, string hostName, ISystemdScopes? scopes, IBrainLauncher? launcher = null, ICanTell? placement = null, TimeSpan? holdAfterLapse = null) =>
        Akka.Actor.Props.Create(() => new NpcHostActor(settings, natsUrl, bridge, subjects, hostName, scopes, launcher, placement, holdAfterLapse));

    /// <summary>An NPC's actor that keeps failing is stopped like any other (its brain's own crashes are the restart policy's, not this).</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new BoundedRestartStrategy();

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe<ClusterStanding>(Self);
        _log.Info(
            "NPC host up: at most {Population} brains ({Role}, {TickRate} Hz) from {BrainPath}, one started every {SpawnInterval}; {Placement}",
            _settings.Population, _settings.Role, _settings.TickRateHz, _settings.BrainPath, _settings.SpawnInterval,
            _placement is null ? "ids 0..Population-1" : "the NPCs the cluster's placement gives it");
        if (_scopes is null)
        {
            // No systemd: nothing adopts a brain an earlier supervisor left; stop it, or it runs as a twin.
            StopStraysAsync(StrayBrains.Find(_subjects.Environment, new Uri(_natsUrl)), _launcher ?? ProcessBrainLauncher.Instance, _log)
                .PipeTo(Self, success: () => new Survivors(new Dictionary<int, int>()), failure: _ => new Survivors(new Dictionary<int, int>()));
            return;
        }

        FindSurvivorsAsync(_scopes).PipeTo(Self, failure: e =>
        {
            // Nothing is lost: each NPC actor still stops a scope left over before starting its brain.
            _log.Warning("Could not list the NPC scopes still running ({Error}); starting every brain afresh", e.GetBaseException().Message);
            return new Survivors(new Dictionary<int, int>());
        });
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    /// <summary>SIGTERM to each stray (held by a pidfd, so a reused PID is safe), SIGKILL to those still there after the stop timeout.</summary>
    private async Task StopStraysAsync(IReadOnlyList<StrayBrain> strays, IBrainLauncher launcher, ILoggingAdapter log)
    {
        var held = new List<(StrayBrain Stray, BrainProcess Process)>();
        foreach (var stray in strays)
        {
            if (launcher.Adopt(stray.Pid) is { } process)
            {
                log.Warning("NPC {NpcId}: a brain (PID {Pid}) of this bus and environment runs without a supervisor, left by an earlier one; stopping it so that it cannot run as a twin", stray.NpcId, stray.Pid);
                process.Signal(BrainProcess.SigTerm);
                held.Add((stray, process));
            }
        }

        var deadline = DateTime.UtcNow + _settings.StopTimeout;
        while (held.Any(h => !h.Process.HasExited) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100).ConfigureAwait(false);
        }

        foreach (var (stray, process) in held)
        {
            if (!process.HasExited)
            {
                log.Warning("NPC {NpcId}: the stray brain (PID {Pid}) did not stop within {StopTimeout}; killing it", stray.NpcId, stray.Pid, _settings.StopTimeout);
                process.Signal(BrainProcess.SigKill);
            }

            process.Dispose();
        }
    }

    /// <summary>The brains still running in their scopes, NPC id to PID.</summary>
    private static async Task<Survivors> FindSurvivorsAsync(ISystemdScopes scopes)
    {
        var found = new Dictionary<int, int>();
        foreach (var unit in await scopes.ListScopesAsync(CancellationToken.None).ConfigureAwait(false))
        {
            if (await scopes.GetProcessesAsync(unit, CancellationToken.None).ConfigureAwait(false) is [var pid, ..])
            {
                found[unit.Id] = pid;
            }
        }

        return new Survivors(found);
    }

    /// <summary>Adopts every brain still running in its scope, then reports them; the run set decides which stay.</summary>
    private void OnSurvivors(Survivors survivors)
    {
        foreach (var (id, pid) in survivors.Pids.OrderBy(p => p.Key))
        {
            Begin(id, pid);
        }

        if (_npcs.Count > 0)
        {
            _log.Info("Adopting {Adopted} NPC brains an earlier supervisor left running", _npcs.Count);
        }

        _ready = true;
        if (_placement is null)
        {
            Reconcile([.. Enumerable.Range(0, _settings.Population)]);
            return;
        }

        Self.Tell(Report.Instance);
        Timers.StartPeriodicTimer("report", Report.Instance, NpcPlacementActor.ReportInterval);
    }

    /// <summary>Starts what the run set adds (paced by the spawn interval), stops what it no longer holds.</summary>
    private void Reconcile(IReadOnlyList<int> npcIds)
    {
        _runSet = [.. npcIds];
        _toSpawn.RemoveWhere(id => !_runSet.Contains(id));
        foreach (var (id, npc) in _npcs.Where(n => !_runSet.Contains(n.Key) && !_stopping.Contains(n.Key)).ToArray())
        {
            _log.Info("NPC {NpcId} no longer belongs on this host: stopping its brain (with its checkpoint)", id);
            _stopping.Add(id);
            npc.Tell(StopGracefully.Instance);
        }

        foreach (var id in _runSet.Where(id => !_npcs.ContainsKey(id)))
        {
            _toSpawn.Add(id);
        }

        if (_toSpawn.Count > 0 && !Timers.IsTimerActive("spawn"))
        {
            Spawn();
        }
    }

    /// <summary>Starts the next NPC waiting for its brain, then waits the spawn interval.</summary>
    private void Spawn()
    {
        if (_toSpawn.Count == 0)
        {
            return;
        }

        if (!_standing.InMajority || Stopwatch.GetTimestamp() < _spawnsHeldUntil)
        {
            // Cut off from the majority (it will down this member and run these NPCs elsewhere), or just back from a
            // lapse whose cause this member cannot see.
            Timers.StartSingleTimer("spawn", SpawnNext.Instance, NpcPlacementActor.ReportInterval);
            return;
        }

        var id = _toSpawn.Min;
        _toSpawn.Remove(id);
        Begin(id, adoptPid: null);
        Timers.StartSingleTimer("spawn", SpawnNext.Instance, _settings.SpawnInterval);
    }

    private void Begin(int id, int? adoptPid)
    {
        var npc = Context.ActorOf(NpcProcessActor.Props(id, _settings, _natsUrl, _bridge, _subjects, _hostName, _scopes, adoptPid: adoptPid, launcher: _launcher), $"npc-{id}");
        Context.Watch(npc);
        npc.Tell(_standing);
        _npcs[id] = npc;
    }

    /// <summary>A brain the run set dropped has stopped: its actor goes, and with it the NPC from this host's report.</summary>
    private void StoppedByPlacement(int id)
    {
        if (_stopping.Contains(id) && _npcs.TryGetValue(id, out var npc))
        {
            Context.Stop(npc);
        }
    }

    /// <summary>
    /// A brain's lease lapsed while this member thought it renewed them: it was paused or starved for a whole lease, so
    /// its own view of the cluster (its standing, a placement singleton it still holds) may be stale, and the majority
    /// may already run its NPCs elsewhere. It starts no brain for the hold: long enough for a stale member to find out it
    /// was downed (and exit), short enough to cost little if it was only slow. The NPC's actor goes; the run set brings
    /// it back.
    /// </summary>
    private void OnLeaseLapsed(int id)
    {
        _spawnsHeldUntil = Stopwatch.GetTimestamp() + (long)(_holdAfterLapse.TotalSeconds * Stopwatch.Frequency);
        _log.Warning("NPC {NpcId}'s brain let its lease lapse: this host starts no brain for {Hold}, in case the cluster has moved on without it", id, _holdAfterLapse);
        if (_npcs.TryGetValue(id, out var npc))
        {
            Context.Stop(npc);
        }
    }

    private void OnTerminated(Terminated terminated)
    {
        if (_npcs.FirstOrDefault(n => n.Value.Equals(terminated.ActorRef)) is not { Value: not null } gone)
        {
            return;
        }

        _npcs.Remove(gone.Key);
        _stopping.Remove(gone.Key);
        if (_runSet.Contains(gone.Key) && _toSpawn.Add(gone.Key) && !Timers.IsTimerActive("spawn"))
        {
            Spawn(); // given back to this host while it stopped
        }
    }

    private void StopAll(StopAll request)
    {
        Timers.Cancel("spawn"); // brains not yet started stay unstarted
        Timers.Cancel("report"); // the placement gives nothing more to a host that is stopping
        var requester = Sender;
        var remaining = new HashSet<int>(_npcs.Keys);
        if (remaining.Count == 0)
        {
            requester.Tell(new AllStopped(0));
            return;
        }

        object order = request.LeaveScopedBrainsRunning ? LeaveRunning.Instance : StopGracefully.Instance;
        foreach (var npc in _npcs.Values)
        {
            npc.Tell(order);
        }

        Become(() =>
        {
            Receive<Stopped>(stopped =>
            {
                remaining.Remove(stopped.NpcId);
                if (remaining.Count == 0)
                {
                    _log.Info(request.LeaveScopedBrainsRunning ? "All {Population} NPC brains handed over to the next supervisor" : "All {Population} NPC brains stopped", _npcs.Count);
                    requester.Tell(new AllStopped(_npcs.Count));
                }
            });
            Receive<Terminated>(terminated =>
            {
                // An NPC the placement had moved away finished stopping meanwhile.
                if (_npcs.FirstOrDefault(n => n.Value.Equals(terminated.ActorRef)) is { Value: not null } gone && remaining.Remove(gone.Key) && remaining.Count == 0)
                {
                    requester.Tell(new AllStopped(_npcs.Count));
                }
            });
            Receive<StopAll>(_ => Sender.Tell(new AllStopped(_npcs.Count - remaining.Count)));
            Receive<RunSet>(_ => { });
            Receive<ClusterStanding>(OnStanding);
        });
    }

    /// <summary>This member's standing, kept for the brains it starts and passed to those it runs (they renew their leases by it).</summary>
    private void OnStanding(ClusterStanding standing)
    {
        _standing = standing;
        foreach (var npc in _npcs.Values)
        {
            npc.Tell(standing);
        }
    }

    /// <summary>Hands a message to the NPC's process actor; for an NPC this host does not run, answers with <paramref name="unknown"/> (if any).</summary>
    private void Route(int npcId, object message, Func<object>? unknown)
    {
        if (_npcs.TryGetValue(npcId, out var npc))
        {
            npc.Forward(message);
        }
        else if (unknown is not null)
        {
            Sender.Tell(unknown());
        }
        else
        {
            _log.Warning("Dropped {Message}: NPC {NpcId} does not run on this host", message.GetType().Name, npcId);
        }
    }

    private sealed record Survivors(IReadOnlyDictionary<int, int> Pids);

    private sealed record SpawnNext
    {
        public static readonly SpawnNext Instance = new();
    }

    private sealed record Report
    {
        public static readonly Report Instance = new();
    }
}
