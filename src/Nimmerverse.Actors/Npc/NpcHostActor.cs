using Akka.Actor;
using Akka.Event;
using Nimmerverse.Brains.Contracts;
using static Nimmerverse.Actors.Npc.NpcHostProtocol;

namespace Nimmerverse.Actors.Npc;

/// <summary>
/// This host's NPC population: one <see cref="NpcProcessActor"/> per brain, ids
/// 0..Population-1. Stops them all gracefully and in parallel when asked (the supervisor does
/// so during its own shutdown, so every brain hands over its weights first).
/// </summary>
public sealed class NpcHostActor : ReceiveActor, IWithTimers
{
    private readonly NpcHostSettings _settings;
    private readonly IActorRef _bridge;
    private readonly Subjects _subjects;
    private readonly string _hostName;
    private readonly ISystemdScopes? _scopes;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<int, IActorRef> _npcs = [];

    public NpcHostActor(NpcHostSettings settings, IActorRef bridge, Subjects subjects, string hostName, ISystemdScopes? scopes)
    {
        _scopes = scopes;
        _settings = settings;
        _bridge = bridge;
        _subjects = subjects;
        _hostName = hostName;
        Receive<StopAll>(_ => StopAll());
        Receive<SpawnNext>(_ => Spawn());
        Receive<SetLimits>(set => Route(set.NpcId, set, () => new LimitsSet(set.NpcId, false, $"NPC {set.NpcId} does not run on this host")));
        Receive<SetTickRate>(set => Route(set.NpcId, set, null));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The host; <paramref name="scopes"/> is systemd, to run each brain in its scope with its limits (null runs plain child processes).</summary>
    public static Props Props(NpcHostSettings settings, IActorRef bridge, Subjects subjects, string hostName, ISystemdScopes? scopes) =>
        Akka.Actor.Props.Create(() => new NpcHostActor(settings, bridge, subjects, hostName, scopes));

    protected override void PreStart()
    {
        _log.Info(
            "Starting {Population} NPC brains ({Role}, {TickRate} Hz) from {BrainPath}, one every {SpawnInterval}",
            _settings.Population, _settings.Role, _settings.TickRateHz, _settings.BrainPath, _settings.SpawnInterval);
        Spawn();
    }

    private void Spawn()
    {
        var id = _npcs.Count;
        if (id >= _settings.Population)
        {
            return;
        }

        _npcs[id] = Context.ActorOf(NpcProcessActor.Props(id, _settings, _bridge, _subjects, _hostName, _scopes), $"npc-{id}");
        Timers.StartSingleTimer("spawn", SpawnNext.Instance, _settings.SpawnInterval);
    }

    private void StopAll()
    {
        Timers.Cancel("spawn"); // brains not yet started stay unstarted
        var requester = Sender;
        var remaining = new HashSet<int>(_npcs.Keys);
        if (remaining.Count == 0)
        {
            requester.Tell(new AllStopped(0));
            return;
        }

        foreach (var npc in _npcs.Values)
        {
            npc.Tell(StopGracefully.Instance);
        }

        Become(() =>
        {
            Receive<Stopped>(stopped =>
            {
                remaining.Remove(stopped.NpcId);
                if (remaining.Count == 0)
                {
                    _log.Info("All {Population} NPC brains stopped", _npcs.Count);
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

    private sealed record SpawnNext
    {
        public static readonly SpawnNext Instance = new();
    }
}
