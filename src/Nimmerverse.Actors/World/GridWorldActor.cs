using Akka.Actor;
using Akka.Event;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Protocol;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;

namespace Nimmerverse.Actors.World;

/// <summary>
/// The grid world as an actor: answers NPC steps on <c>{env}.world.grid.step</c> and the quiz
/// standings on <c>{env}.world.grid.quiz</c> (both request/reply), books the NPCs' lifeforce to
/// the organism's ledger once a second, and logs each level-up. One per cluster (a singleton); the
/// rules themselves are in <see cref="GridWorld"/>. With a store it first loads the world it kept (its level,
/// village and standings) and only then answers; it saves it every <see cref="SaveInterval"/> and at once on a
/// level-up, so that a restart or a failover continues the curriculum where it was.
/// </summary>
public sealed class GridWorldActor : ReceiveActor, IWithTimers
{
    public const string EntityType = "world";

    private static readonly TimeSpan LedgerInterval = TimeSpan.FromSeconds(1);

    /// <summary>How often a changed world is saved (a failover loses at most this much of the standings, never a level).</summary>
    public static readonly TimeSpan SaveInterval = TimeSpan.FromSeconds(10);

    /// <summary>How often the world looks for citizens that hold its curriculum back by never taking a quiz.</summary>
    public static readonly TimeSpan ExaminationCheckInterval = TimeSpan.FromMinutes(1);

    /// <summary>Rounds the most examined citizen must have taken before the others' absence from the quiz is worth a warning.</summary>
    public const int RoundsBeforeUnexaminedWarning = 2;

    private readonly IActorRef _bridge;
    private readonly IActorRef _ledger;
    private readonly Subjects _subjects;
    private readonly GridWorld _world;
    private readonly Curriculum _curriculum;
    private readonly MessageSource _source;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IWorldStore? _store;
    private int _levelUpsLogged;
    private bool _changed;

    /// <summary>Citizens last warned about as never examined at this level (warned again only when that changes).</summary>
    private IReadOnlyList<int> _unexaminedWarned = [];

    public GridWorldActor(IActorRef bridge, IActorRef ledger, Subjects subjects, GridWorldSettings settings, string hostName, TimeProvider? clock = null, IWorldStore? store = null)
    {
        _store = store;
        _bridge = bridge;
        _ledger = ledger;
        _subjects = subjects;
        _world = new GridWorld(settings, clock);
        _curriculum = settings.Curriculum;
        _source = new MessageSource($"grid@{hostName}", EntityType, 1);

        Receive<Subscribed>(subscribed => _log.Info("Grid world listening on {Subject}", subscribed.Pattern));
        Receive<Inbound<WorldStepBody>>(Step);
        Receive<Inbound<QuizQueryBody>>(Quiz);
        Receive<Inbound<NpcLifecycleBody>>(OnLifecycle);
        Receive<BookLifeforce>(_ => Book());
        Receive<CheckExaminations>(_ => WarnOfUnexamined());
        Receive<SaveNow>(_ => _changed, _ => Save());
        Receive<SaveNow>(_ => { });
        Receive<Saved>(_ => { });
        Receive<Status.Failure>(failed => _log.Warning("Could not save the world ({Error}); trying again in {Interval}", failed.Cause.GetBaseException().Message, SaveInterval));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef bridge, IActorRef ledger, Subjects subjects, GridWorldSettings settings, string hostName, TimeProvider? clock = null, IWorldStore? store = null) =>
        Akka.Actor.Props.Create(() => new GridWorldActor(bridge, ledger, subjects, settings, hostName, clock, store));

    protected override void PreStart()
    {
        if (_store is null)
        {
            Listen();
            return;
        }

        // Loading: no step is answered until the kept world is back (the brains' steps time out meanwhile).
        _store.LoadAsync(_subjects.Environment, CancellationToken.None).PipeTo(Self, success: kept => new Loaded(kept), failure: e => new LoadFailed(e.GetBaseException()));
        BecomeStacked(() =>
        {
            Receive<Loaded>(loaded =>
            {
                if (loaded.Snapshot is { } kept && _world.Restore(kept) is { } unfit)
                {
                    _log.Warning("The world kept in the store does not fit this configuration ({Reason}); starting at level 0", unfit);
                }
                else if (loaded.Snapshot is not null)
                {
                    _levelUpsLogged = _world.LevelUps;
                    _log.Info("Continuing the world kept in the store: level {Level}", _world.Level);
                }

                BecomeListening();
            });
            Receive<LoadFailed>(failed =>
            {
                _log.Warning("Could not load the world kept in the store ({Error}); starting at level 0", failed.Error.Message);
                BecomeListening();
            });
        });
    }

    private void BecomeListening()
    {
        UnbecomeStacked();
        Listen();
        Timers.StartPeriodicTimer("save", SaveNow.Instance, SaveInterval);
    }

    private void Listen()
    {
        // One world answers each request: it is a cluster singleton, and the queue group keeps a second one (during a
        // hand-over) from answering the same step twice.
        _bridge.Tell(new Subscribe<WorldStepBody>(_subjects.WorldStep, Self, "nimmerverse-world"));
        _bridge.Tell(new Subscribe<QuizQueryBody>(_subjects.WorldQuiz, Self, "nimmerverse-world"));
        _bridge.Tell(new Subscribe<NpcLifecycleBody>(_subjects.NpcLifecycles, Self));
        Timers.StartPeriodicTimer("ledger", BookLifeforce.Instance, LedgerInterval);
        Timers.StartPeriodicTimer("examinations", CheckExaminations.Instance, ExaminationCheckInterval);
        _log.Info(
            "Grid world at level {Level}: {Citizens} citizens in {Villages} villages of {Rows}x{Columns} nodes",
            _world.Level, _world.Villages.Sum(v => v.Homes.Count), _world.Villages.Count, _world.Map.Rows, _world.Map.Columns);
    }

    protected override void PostStop() => Book();

    private void Step(Inbound<WorldStepBody> request)
    {
        var body = request.Envelope.Body;
        var (observation, error) = _world.Step(body.NpcId, body.Action is { } action ? Moves.IndexOf(action) : null);
        Answer(request.ReplyTo, request.Envelope.Header.MessageId, new WorldStepResultBody(observation, error));
        _changed = true;
        if (_world.LevelUps != _levelUpsLogged)
        {
            Save(); // a level is never lost to a failover
            _levelUpsLogged = _world.LevelUps;
            _log.Info(
                "Every citizen found every home of its village: the world reached level {Level} of {MaxLevel}, {Rows}x{Columns} nodes and {TraitKinds} trait kinds",
                _world.Level, _curriculum.MaxLevel, _world.Map.Rows, _world.Map.Columns, _curriculum.TraitKindsAt(_world.Level));
        }
    }

    /// <summary>A brain retired (<c>Npc:Lifetime</c>): its citizen starts over for the newcomer (<see cref="GridWorld.StartOver"/>).</summary>
    private void OnLifecycle(Inbound<NpcLifecycleBody> inbound)
    {
        if (inbound.Envelope.Body is not { Event: "retired", NpcId: var npcId })
        {
            return;
        }

        if (_world.StartOver(npcId) is { } error)
        {
            _log.Warning("A brain retired, but its citizen cannot start over: {Error}", error);
            return;
        }

        _changed = true;
        _log.Info("NPC {NpcId}'s brain retired: its citizen starts over for a newcomer, its training episodes and quiz round at nothing", npcId);
    }

    private void Quiz(Inbound<QuizQueryBody> request)
    {
        var report = _world.Report();
        if (request.Envelope.Body.NpcId is { } npcId)
        {
            report = report with { Citizens = report.Citizens.Where(c => c.NpcId == npcId).ToArray() };
        }

        Answer(request.ReplyTo, request.Envelope.Header.MessageId, report);
    }

    private void Answer<TBody>(string? replyTo, Guid requestId, TBody body)
        where TBody : IMessageBody
    {
        if (replyTo is not null)
        {
            _bridge.Tell(new Reply<TBody>(replyTo, Envelopes.Of(_source, body, correlationId: requestId)));
        }
    }

    private void Book()
    {
        var (earned, spent) = _world.TakeLifeforce();
        if (earned > 0)
        {
            _ledger.Tell(new LifeforceLedgerMessages.Earn(earned, _source.EntityId, "goals reached by NPCs"));
        }

        if (spent > 0)
        {
            _ledger.Tell(new LifeforceLedgerMessages.Spend(spent, _source.EntityId, "NPC moves"));
        }
    }

    /// <summary>
    /// A citizen that no brain runs never takes a quiz, and the world levels up only when every citizen has passed its
    /// latest round: without this warning such a world just stays at its level.
    /// </summary>
    private void WarnOfUnexamined()
    {
        var standings = _world.Report().Citizens;
        var mostRounds = standings.Count == 0 ? 0 : standings.Max(c => c.Rounds);
        IReadOnlyList<int> unexamined = [.. standings.Where(c => c.Rounds == 0).Select(c => c.NpcId)];
        // Too early to tell (a level just begun), or nothing new to say.
        if (mostRounds < RoundsBeforeUnexaminedWarning || unexamined.SequenceEqual(_unexaminedWarned))
        {
            return;
        }

        if (unexamined.Count > 0)
        {
            _log.Warning(
                "{Count} citizens ({Citizens}) have taken no quiz at level {Level} while others have taken {Rounds} rounds: the world levels up only when every citizen has passed its latest round, so it stays at level {Level} until they run (are fewer brains placed than World:Citizens?)",
                unexamined.Count, IdRanges(unexamined), _world.Level, mostRounds, _world.Level);
        }
        else
        {
            _log.Info("Every citizen has taken a quiz at level {Level} now", _world.Level);
        }

        _unexaminedWarned = unexamined;
    }

    /// <summary>Ascending ids as ranges: 3, 9-24.</summary>
    internal static string IdRanges(IReadOnlyList<int> ascending)
    {
        var ranges = new List<string>();
        for (var start = 0; start < ascending.Count;)
        {
            var end = start;
            while (end + 1 < ascending.Count && ascending[end + 1] == ascending[end] + 1)
            {
                end++;
            }

            ranges.Add(end == start ? $"{ascending[start]}" : $"{ascending[start]}-{ascending[end]}");
            start = end + 1;
        }

        return string.Join(", ", ranges);
    }

    private void Save()
    {
        if (_store is null)
        {
            return;
        }

        _changed = false;
        _store.SaveAsync(_subjects.Environment, _world.Snapshot(), CancellationToken.None).PipeTo(Self, success: () => Saved.Instance);
    }

    private sealed record Loaded(WorldSnapshot? Snapshot);

    private sealed record LoadFailed(Exception Error);

    private sealed record SaveNow
    {
        public static readonly SaveNow Instance = new();
    }

    private sealed record Saved
    {
        public static readonly Saved Instance = new();
    }

    private sealed record BookLifeforce
    {
        public static readonly BookLifeforce Instance = new();
    }

    /// <summary>Look for citizens that never take a quiz (sent by a timer every <see cref="ExaminationCheckInterval"/>).</summary>
    internal sealed record CheckExaminations
    {
        public static readonly CheckExaminations Instance = new();
    }
}
