using Akka.Actor;
using Akka.Event;
using Nimmerverse.Actors.Supervision;
using Nimmerverse.Protocol;
using static Nimmerverse.Actors.Npc.NpcHostMessages;

namespace Nimmerverse.Actors.Npc;

/// <summary>
/// This host's NPC population: one <see cref="NpcProcessActor"/> per brain, ids
/// 0..Population-1. With systemd it first looks for NPC scopes an earlier supervisor left running
/// and adopts their brains (one actor per NPC, so never two brains for one id); scopes of NPCs
/// beyond the population are stopped; the rest are started one every spawn interval. Stops them
/// all gracefully and in parallel when asked (the supervisor does so during its own shutdown, so
/// every brain hands over its weights first), or leaves scoped brains running when systemd is
/// restarting the supervisor.
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
    private readonly string _natsUrl;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<int, IActorRef> _npcs = [];
    private int _nextId;

    public NpcHostActor(NpcHostSettings settings, string natsUrl, IActorRef bridge, Subjects subjects, string hostName, ISystemdScopes? scopes, IBrainLauncher? launcher = null)
    {
        _scopes = scopes;
        _launcher = launcher;
        _natsUrl = natsUrl;
        _settings = settings;
        _bridge = bridge;
        _subjects = subjects;
        _hostName = hostName;
        Receive<StopAll>(StopAll);
        Receive<Survivors>(OnSurvivors);
        Receive<SpawnNext>(_ => Spawn());
        Receive<SetLimits>(set => Route(set.NpcId, set, () => new LimitsSet(set.NpcId, false, $"NPC {set.NpcId} does not run on this host")));
        Receive<SetTickRate>(set => Route(set.NpcId, set, null));
        Receive<GetNpcs>(_ => Sender.Tell(new HostedNpcs(_hostName, [.. _npcs.Keys.Order()])));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>
    /// The host; <paramref name="scopes"/> is systemd, to run each brain in its scope with its limits (null runs plain child
    /// processes); <paramref name="launcher"/> starts and adopts the brains (real processes unless a spec says otherwise).
    /// </summary>
    public static Props Props(NpcHostSettings settings, string natsUrl, IActorRef bridge, Subjects subjects, string hostName, ISystemdScopes? scopes, IBrainLauncher? launcher = null) =>
        Akka.Actor.Props.Create(() => new NpcHostActor(settings, natsUrl, bridge, subjects, hostName, scopes, launcher));

    /// <summary>An NPC's actor that keeps failing is stopped like any other (its brain's own crashes are the restart policy's, not this).</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new BoundedRestartStrategy();

    protected override void PreStart()
    {
        _log.Info(
            "Starting {Population} NPC brains ({Role}, {TickRate} Hz) from {BrainPath}, one every {SpawnInterval}",
            _settings.Population, _settings.Role, _settings.TickRateHz, _settings.BrainPath, _settings.SpawnInterval);
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

    private void OnSurvivors(Survivors survivors)
    {
        foreach (var (id, pid) in survivors.Pids.OrderBy(p => p.Key))
        {
            if (id >= _settings.Population)
            {
                var unit = NpcScopeName.For(id);
                _log.Warning("NPC {NpcId} is beyond this host's population of {Population}; stopping its brain in {Unit}", id, _settings.Population, unit.Value);
                _scopes!.StopAsync(unit, CancellationToken.None).ContinueWith(
                    t => _log.Warning("Could not stop {Unit}: {Error}", unit.Value, t.Exception?.GetBaseException().Message),
                    CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                continue;
            }

            _npcs[id] = Context.ActorOf(NpcProcessActor.Props(id, _settings, _natsUrl, _bridge, _subjects, _hostName, _scopes, adoptPid: pid, launcher: _launcher), $"npc-{id}");
        }

        if (_npcs.Count > 0)
        {
            _log.Info("Adopting {Adopted} NPC brains an earlier supervisor left running", _npcs.Count);
        }

        Spawn();
    }

    /// <summary>Starts the next NPC that has no actor yet, then waits the spawn interval.</summary>
    private void Spawn()
    {
        while (_nextId < _settings.Population && _npcs.ContainsKey(_nextId))
        {
            _nextId++;
        }

        if (_nextId >= _settings.Population)
        {
            return;
        }

        _npcs[_nextId] = Context.ActorOf(NpcProcessActor.Props(_nextId, _settings, _natsUrl, _bridge, _subjects, _hostName, _scopes, launcher: _launcher), $"npc-{_nextId}");
        Timers.StartSingleTimer("spawn", SpawnNext.Instance, _settings.SpawnInterval);
    }

    private void StopAll(StopAll request)
    {
        Timers.Cancel("spawn"); // brains not yet started stay unstarted
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
            Receive<StopAll>(_ => Sender.Tell(new AllStopped(_npcs.Count - remaining.Count)));
        });
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
}
