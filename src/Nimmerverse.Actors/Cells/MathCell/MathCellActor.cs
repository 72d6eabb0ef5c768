using Akka.Actor;
using Akka.Event;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Protocol;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;

namespace Nimmerverse.Actors.Cells.MathCell;

/// <summary>The math cell's states: IDLE -> COMPUTING -> REPORTING -> IDLE; any state may fall to ERROR.</summary>
public enum MathCellState
{
    Idle,
    Computing,
    Reporting,
    Error,
}

/// <summary>
/// The math cell: answers <c>{env}.nervous.cells.math.request</c> with a <c>cell_response</c>
/// on the request's reply subject (when it has one) and always on
/// <c>{env}.nervous.cells.math.response</c>, with the request's id as correlation id; then emits
/// a wave on <c>{env}.nervous.cells.math.wave</c>. Each transition's cost is spent from the ledger.
/// </summary>
public sealed class MathCellActor : ReceiveActor
{
    private readonly LifeforceMeter _meter;
    private readonly CellReplies _replies;
    private readonly CellStateMachine<MathCellState> _machine;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public MathCellActor(IActorRef bridge, IActorRef ledger, Subjects subjects, MathCellSettings settings, string hostName)
    {
        _replies = CellReplies.ForCell(bridge, subjects, MathCellSettings.CellName, hostName);
        _meter = _replies.Meter(ledger);
        _machine = new CellStateMachine<MathCellState>(MathCellSettings.CellName, MathCellState.Idle, MathCellState.Error, new Dictionary<(MathCellState, MathCellState), double>
        {
            [(MathCellState.Idle, MathCellState.Computing)] = settings.ComputeCost,
            [(MathCellState.Computing, MathCellState.Reporting)] = settings.ReportCost,
            [(MathCellState.Reporting, MathCellState.Idle)] = 0,
        });

        Receive<Subscribed>(subscribed => _log.Info("Math cell listening on {Subject}", subscribed.Pattern));
        Receive<Inbound<CellRequestBody>>(Answer);
    }

    public static Props Props(IActorRef bridge, IActorRef ledger, Subjects subjects, MathCellSettings settings, string hostName) =>
        Akka.Actor.Props.Create(() => new MathCellActor(bridge, ledger, subjects, settings, hostName));

    protected override void PreStart() => _replies.Listen(Self);

    private void Answer(Inbound<CellRequestBody> request)
    {
        var spent = Move(MathCellState.Computing);
        var (result, error) = MathOperations.Apply(request.Envelope.Body.Operation, request.Envelope.Body.Operands);
        spent += Move(MathCellState.Reporting);

        _replies.Answer(request, result, error);
        _replies.Wave(MathCellSettings.CellName, error is null ? 1.0 : 0.0, CellReplies.Content(("operation", request.Envelope.Body.Operation), ("result", result), ("error", error)), spent, request.Envelope.Header.MessageId);
        Move(MathCellState.Idle);
    }

    private double Move(MathCellState to) => _meter.Pay(_machine.MoveTo(to), $"{_machine.Cell} -> {to}");
}
