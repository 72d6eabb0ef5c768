using System.Text.Json;
using Akka.Actor;
using Akka.Event;
using Nimmerverse.Actors.Cells;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Protocol;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;

namespace Nimmerverse.Actors.Nerves;

/// <summary>Collision avoidance: IDLE -> DETECT -> EVALUATE -> EVADE -> RESUME -> IDLE; any state may fall to ERROR.</summary>
public enum CollisionState
{
    Idle,
    Detect,
    Evaluate,
    Evade,
    Resume,
    Error,
}

/// <summary>
/// The collision avoidance nerve. As a nerve, it wakes when the thalamus opens the proximity
/// gate (DETECT), judges the next distance reading (EVALUATE), and, under the danger distance,
/// commands the motor cell to evade (EVADE) until the distance is clear again (RESUME), which is
/// a success. After <see cref="CollisionAvoidanceSettings.ReflexAfter"/> successes it becomes a
/// reflex: a dangerous reading sends it straight to EVADE, without waiting for the gate and
/// without the cost of detecting and evaluating. Each evasion is also a wave in the
/// <c>collision</c> domain, from tier 2 as a nerve and tier 0 as a reflex.
/// </summary>
public sealed class CollisionAvoidanceNerveActor : ReceiveActor
{
    private readonly IActorRef _bridge;
    private readonly LifeforceMeter _meter;
    private readonly Subjects _subjects;
    private readonly CollisionAvoidanceSettings _settings;
    private readonly string _entityId;
    private readonly CellStateMachine<CollisionState> _machine;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private int _successes;

    public CollisionAvoidanceNerveActor(IActorRef bridge, IActorRef ledger, Subjects subjects, CollisionAvoidanceSettings settings, string hostName)
    {
        _bridge = bridge;
        _subjects = subjects;
        _settings = settings;
        _entityId = $"{CollisionAvoidanceSettings.NerveName}@{hostName}";
        _meter = new LifeforceMeter(ledger, _entityId);
        _machine = new CellStateMachine<CollisionState>(CollisionAvoidanceSettings.NerveName, CollisionState.Idle, CollisionState.Error, new Dictionary<(CollisionState, CollisionState), double>
        {
            [(CollisionState.Idle, CollisionState.Detect)] = settings.DetectCost,
            [(CollisionState.Detect, CollisionState.Evaluate)] = settings.EvaluateCost,
            [(CollisionState.Evaluate, CollisionState.Evade)] = settings.EvadeCost,
            [(CollisionState.Evaluate, CollisionState.Idle)] = 0,
            [(CollisionState.Evade, CollisionState.Resume)] = settings.ResumeCost,
            [(CollisionState.Resume, CollisionState.Idle)] = 0,
            // The reflex path; only taken once the nerve has become a reflex.
            [(CollisionState.Idle, CollisionState.Evade)] = settings.EvadeCost,
        });

        Receive<Subscribed>(s => _log.Info("Collision avoidance listening on {Subject}", s.Pattern));
        Receive<Inbound<GateTransitionBody>>(OnGateTransition);
        Receive<Inbound<WaveBody>>(OnReading);
    }

    /// <summary>True once it has succeeded often enough to skip escalation.</summary>
    public bool IsReflex => _successes >= _settings.ReflexAfter;

    public static Props Props(IActorRef bridge, IActorRef ledger, Subjects subjects, CollisionAvoidanceSettings settings, string hostName) =>
        Akka.Actor.Props.Create(() => new CollisionAvoidanceNerveActor(bridge, ledger, subjects, settings, hostName));

    protected override void PreStart()
    {
        _bridge.Tell(new Subscribe<GateTransitionBody>(_subjects.GateTransitions, Self));
        _bridge.Tell(new Subscribe<WaveBody>(_subjects.CellWave(CollisionAvoidanceSettings.SensorCell), Self));
    }

    private void OnGateTransition(Inbound<GateTransitionBody> transition)
    {
        var body = transition.Envelope.Body;
        if (body.Domain == CollisionAvoidanceSettings.WatchedDomain && body.ToState == GateState.Open && _machine.State == CollisionState.Idle && !IsReflex)
        {
            Move(CollisionState.Detect);
        }
    }

    private void OnReading(Inbound<WaveBody> wave)
    {
        var content = wave.Envelope.Body.Content;
        if (content.ValueKind != JsonValueKind.Object || !content.TryGetProperty("distance_cm", out var value) || value.ValueKind != JsonValueKind.Number || !double.IsFinite(value.GetDouble()))
        {
            return;
        }

        var distance = value.GetDouble();
        switch (_machine.State)
        {
            case CollisionState.Idle when IsReflex && distance < _settings.DangerCm:
                Evade(distance, reflex: true);
                break;
            case CollisionState.Detect:
                Move(CollisionState.Evaluate);
                if (distance < _settings.DangerCm)
                {
                    Evade(distance, reflex: false);
                }
                else
                {
                    // A false alarm: close, but not dangerous.
                    Move(CollisionState.Idle);
                }

                break;
            case CollisionState.Evade when distance >= _settings.ClearCm:
                Move(CollisionState.Resume);
                Command("resume");
                Move(CollisionState.Idle);
                _successes++;
                if (_successes == _settings.ReflexAfter)
                {
                    _log.Info("Collision avoidance became a reflex after {Successes} successful evasions", _successes);
                }

                break;
        }
    }

    private void Evade(double distance, bool reflex)
    {
        var cost = Move(CollisionState.Evade);
        Command("evade");
        var source = new MessageSource(_entityId, reflex ? "reflex" : "nerve", reflex ? 0 : 2);
        _bridge.Tell(new Publish<WaveBody>(_subjects.NerveWave(CollisionAvoidanceSettings.NerveName), Envelopes.Of(source,
            new WaveBody(CollisionAvoidanceSettings.NerveName, 1, CellReplies.Content(("distance_cm", distance), ("reflex", reflex)), cost))));
    }

    private void Command(string operation) =>
        _bridge.Tell(new Publish<CellRequestBody>(_subjects.CellRequest(CollisionAvoidanceSettings.MotorCell), Envelopes.Of(new MessageSource(_entityId, IsReflex ? "reflex" : "nerve", IsReflex ? 0 : 2),
            new CellRequestBody(operation, []))));

    private double Move(CollisionState to) => _meter.Pay(_machine.MoveTo(to), $"{CollisionAvoidanceSettings.NerveName} -> {to}");
}
