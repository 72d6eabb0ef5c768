using System.Globalization;
using Akka.Actor;
using Akka.Event;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Protocol;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;

namespace Nimmerverse.Actors.Cells.Sensor;

/// <summary>The sensor cell's states: IDLE -> POLLING -> READING -> REPORTING -> IDLE; any state may fall to ERROR at no cost.</summary>
public enum SensorCellState
{
    Idle,
    Polling,
    Reading,
    Reporting,
    Error,
}

/// <summary>
/// A distance sensor cell. Every poll it reads its sensor file and sends a <c>proximity</c> wave
/// whose confidence is the reading's urgency (1 at danger distance, 0 when clear), so the
/// proximity gate opens as something comes close. A failed read drops it to ERROR at no cost
/// and the next poll starts afresh. It answers <c>read</c> requests with the last distance in cm.
/// </summary>
public sealed class SensorCellActor : ReceiveActor, IWithTimers
{
    private readonly LifeforceMeter _meter;
    private readonly SensorCellSettings _settings;
    private readonly string _path;
    private readonly CellReplies _replies;
    private readonly CellStateMachine<SensorCellState> _machine;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private double? _lastDistanceCm;
    private string? _lastError;

    private sealed record Poll
    {
        public static readonly Poll Instance = new();
    }

    private sealed record RawReading(string Text);

    private sealed record ReadFailed(string Problem);

    public SensorCellActor(IActorRef bridge, IActorRef ledger, Subjects subjects, SensorCellSettings settings, string hostName)
    {
        _settings = settings;
        _path = settings.Path ?? throw new ArgumentException("a sensor cell needs the path of its reading (Cells:Sensor:Path)", nameof(settings));
        _replies = CellReplies.ForCell(bridge, subjects, SensorCellSettings.CellName, hostName);
        _meter = _replies.Meter(ledger);
        _machine = new CellStateMachine<SensorCellState>(SensorCellSettings.CellName, SensorCellState.Idle, SensorCellState.Error, new Dictionary<(SensorCellState, SensorCellState), double>
        {
            [(SensorCellState.Idle, SensorCellState.Polling)] = settings.PollCost,
            [(SensorCellState.Polling, SensorCellState.Reading)] = settings.ReadCost,
            [(SensorCellState.Reading, SensorCellState.Reporting)] = 0,
            [(SensorCellState.Reporting, SensorCellState.Idle)] = 0,
        });

        Receive<Subscribed>(s => _log.Info("Sensor cell reading {SensorPath}, listening on {Subject}", _path, s.Pattern));
        Receive<Poll>(_ => StartPoll());
        Receive<RawReading>(OnRawReading);
        Receive<ReadFailed>(failed => Fail(failed.Problem));
        Receive<Inbound<CellRequestBody>>(Answer);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef bridge, IActorRef ledger, Subjects subjects, SensorCellSettings settings, string hostName) =>
        Akka.Actor.Props.Create(() => new SensorCellActor(bridge, ledger, subjects, settings, hostName));

    protected override void PreStart()
    {
        _replies.Listen(Self);
        Timers.StartPeriodicTimer(nameof(Poll), Poll.Instance, _settings.PollInterval);
    }

    private void StartPoll()
    {
        if (_machine.State == SensorCellState.Error)
        {
            _machine.MoveTo(SensorCellState.Idle);
        }

        if (_machine.State != SensorCellState.Idle)
        {
            return;
        }

        _meter.Pay(_machine.MoveTo(SensorCellState.Polling), "sensor poll");
        File.ReadAllTextAsync(_path).PipeTo(Self,
            success: text => new RawReading(text),
            failure: error => new ReadFailed(error.GetBaseException().Message));
    }

    private void OnRawReading(RawReading reading)
    {
        if (!double.TryParse(reading.Text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var raw) || !double.IsFinite(raw))
        {
            Fail($"'{(reading.Text.Length > 40 ? reading.Text[..40] : reading.Text).Trim()}' is not a number");
            return;
        }

        var readCost = _meter.Pay(_machine.MoveTo(SensorCellState.Reading), "sensor reading");
        var spent = _settings.PollCost + readCost;
        var distance = raw * _settings.Scale;
        _lastDistanceCm = distance;
        _lastError = null;
        _machine.MoveTo(SensorCellState.Reporting);
        _replies.Wave(SensorCellSettings.Domain, _settings.Urgency(distance), CellReplies.Content(("distance_cm", distance), ("raw", raw)), spent);
        _machine.MoveTo(SensorCellState.Idle);
    }

    private void Answer(Inbound<CellRequestBody> request)
    {
        var (result, error) = (request.Envelope.Body.Operation, _lastError, _lastDistanceCm) switch
        {
            (not "read", _, _) => ((double?)null, "unknown operation; the sensor cell knows read"),
            (_, { } problem, _) => (null, $"the sensor cannot be read: {problem}"),
            (_, null, null) => (null, "no reading yet"),
            (_, null, { } distance) => (distance, (string?)null),
        };
        _replies.Answer(request, result, error);
    }

    private void Fail(string problem)
    {
        if (_lastError != problem)
        {
            _log.Warning("Sensor cell cannot read {SensorPath}: {Problem}", _path, problem);
        }

        _lastError = problem;
        _machine.MoveTo(SensorCellState.Error);
    }
}
