using Akka.Actor;
using Akka.Event;
using Nimmerverse.Actors.Cells;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Protocol;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;

namespace Nimmerverse.Actors.Nerves;

/// <summary>Exploration: EXPLORING (a step every interval) or PAUSED (danger or a low reserve); ERROR as for every machine.</summary>
public enum ExplorationState
{
    Exploring,
    Paused,
    Error,
}

/// <summary>The grid's four moves (docs/domain.md), as the operand of a motor <c>move</c> command.</summary>
public enum Direction
{
    North = 0,
    East = 1,
    South = 2,
    West = 3,
}

/// <summary>
/// The exploration nerve: a random walk over the grid, one <c>move</c> command to the motor cell
/// per step (operand: <see cref="Direction"/>), never straight back where it came from. It pauses
/// while any pausing gate (proximity, energy) is open, and goes on when all of them have left OPEN;
/// and while the cortex holds it (a <c>nerve_command</c> <c>pause</c>, until its duration ends or a <c>resume</c>).
/// </summary>
public sealed class ExplorationNerveActor : ReceiveActor, IWithTimers
{
    private readonly IActorRef _bridge;
    private readonly LifeforceMeter _meter;
    private readonly Subjects _subjects;
    private readonly ExplorationSettings _settings;
    private readonly TimeSpan _stepInterval;
    private readonly MessageSource _source;
    private readonly Random _random;
    private readonly HashSet<string> _pauseReasons = new(StringComparer.Ordinal);
    private readonly CellStateMachine<ExplorationState> _machine;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private Direction? _last;

    /// <summary>Among the reasons to pause, beside the gates' domains: the cortex's command.</summary>
    private const string CortexHold = "cortex";

    private sealed record Step
    {
        public static readonly Step Instance = new();
    }

    private sealed record HoldEnded
    {
        public static readonly HoldEnded Instance = new();
    }

    public ExplorationNerveActor(IActorRef bridge, IActorRef ledger, Subjects subjects, ExplorationSettings settings, string hostName)
    {
        _stepInterval = settings.StepInterval ?? throw new ArgumentException("an exploration nerve needs its step interval (Nerves:Exploration:StepInterval)", nameof(settings));
        _bridge = bridge;
        _subjects = subjects;
        _settings = settings;
        _source = new MessageSource($"{ExplorationSettings.NerveName}@{hostName}", "nerve", 2);
        _meter = new LifeforceMeter(ledger, _source.EntityId);
        _random = settings.Seed is { } seed ? new Random(seed) : new Random();
        _machine = new CellStateMachine<ExplorationState>(ExplorationSettings.NerveName, ExplorationState.Exploring, ExplorationState.Error, new Dictionary<(ExplorationState, ExplorationState), double>
        {
            [(ExplorationState.Exploring, ExplorationState.Paused)] = 0,
            [(ExplorationState.Paused, ExplorationState.Exploring)] = 0,
        });

        Receive<Subscribed>(s => _log.Info("Exploration listening on {Subject}", s.Pattern));
        Receive<Step>(_ => Move());
        Receive<Inbound<GateTransitionBody>>(OnGateTransition);
        Receive<Inbound<NerveCommandBody>>(OnCommand);
        Receive<HoldEnded>(_ => Pause(CortexHold, false));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef bridge, IActorRef ledger, Subjects subjects, ExplorationSettings settings, string hostName) =>
        Akka.Actor.Props.Create(() => new ExplorationNerveActor(bridge, ledger, subjects, settings, hostName));

    protected override void PreStart()
    {
        _bridge.Tell(new Subscribe<GateTransitionBody>(_subjects.GateTransitions, Self));
        _bridge.Tell(new Subscribe<NerveCommandBody>(SubjectPattern.Parse(_subjects.NerveCommand(ExplorationSettings.NerveName).Value), Self));
        Timers.StartPeriodicTimer(nameof(Step), Step.Instance, _stepInterval);
    }

    private void OnGateTransition(Inbound<GateTransitionBody> transition)
    {
        var body = transition.Envelope.Body;
        if (!ExplorationSettings.PausingDomains.Contains(body.Domain))
        {
            return;
        }

        Pause(body.Domain, body.ToState == GateState.Open);
    }

    private void OnCommand(Inbound<NerveCommandBody> command)
    {
        var body = command.Envelope.Body;
        var hold = body.Command == "pause";
        if (hold)
        {
            Timers.StartSingleTimer(CortexHold, HoldEnded.Instance, TimeSpan.FromMilliseconds(body.DurationMs ?? NerveCommandBody.DefaultPauseMs));
        }
        else
        {
            Timers.Cancel(CortexHold);
        }

        _log.Info("Exploration: {Command} from {Source}{For}", body.Command, command.Envelope.Header.Source.EntityId, hold ? $" for {body.DurationMs ?? NerveCommandBody.DefaultPauseMs} ms" : "");
        Pause(CortexHold, hold);
    }

    /// <summary>One reason to pause begins or ends; the machine follows all of them.</summary>
    private void Pause(string reason, bool begins)
    {
        if (begins)
        {
            _pauseReasons.Add(reason);
        }
        else
        {
            _pauseReasons.Remove(reason);
        }

        var next = _pauseReasons.Count > 0 ? ExplorationState.Paused : ExplorationState.Exploring;
        if (next != _machine.State)
        {
            _machine.MoveTo(next);
            _log.Info("Exploration {State}: pausing for {Reasons}", next, string.Join(",", _pauseReasons));
        }
    }

    private void Move()
    {
        if (_machine.State != ExplorationState.Exploring)
        {
            return;
        }

        var choices = Enum.GetValues<Direction>().Where(d => _last is null || d != Opposite(_last.Value)).ToArray();
        var direction = choices[_random.Next(choices.Length)];
        _last = direction;
        _meter.Pay(_settings.MoveCost, "move");
        _bridge.Tell(new Publish<CellRequestBody>(_subjects.CellRequest(CollisionAvoidanceSettings.MotorCell), Envelopes.Of(_source,
            new CellRequestBody("move", [(double)direction]))));
    }

    private static Direction Opposite(Direction direction) => (Direction)(((int)direction + 2) % 4);
}
