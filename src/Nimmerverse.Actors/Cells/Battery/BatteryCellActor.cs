using Akka.Actor;
using Akka.Event;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Protocol;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;

namespace Nimmerverse.Actors.Cells.Battery;

/// <summary>The battery cell's states: IDLE -> READING -> REPORTING -> IDLE; any state may fall to ERROR.</summary>
public enum BatteryCellState
{
    Idle,
    Reading,
    Reporting,
    Error,
}

/// <summary>
/// The battery cell: its capability is the organism's energy reserve, the lifeforce stock kept by
/// the ledger. Every poll it reads the reserve; when the stock is below the low mark it sends a
/// wave in the <c>energy</c> domain whose confidence grows as the reserve empties (0.5 at the
/// mark, 1 at zero), so the energy gate opens when the organism runs down. It answers
/// <c>level</c> (the stock) and <c>vitality</c> (income over spending) requests.
/// </summary>
public sealed class BatteryCellActor : ReceiveActor, IWithTimers
{
    private readonly IActorRef _ledger;
    private readonly BatteryCellSettings _settings;
    private readonly CellReplies _replies;
    private readonly LifeforceMeter _meter;
    private readonly CellStateMachine<BatteryCellState> _machine;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    /// <summary>Requests waiting for the reading under way; one reading answers them all.</summary>
    private readonly List<Inbound<CellRequestBody>> _waiting = [];

    /// <summary>How long the ledger may take to say the balance; not tied to the poll interval.</summary>
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(5);

    private sealed record Poll
    {
        public static readonly Poll Instance = new();
    }

    private sealed record Reading(LifeforceLedgerMessages.Balance Balance);

    private sealed record ReadingFailed(Exception Error);

    public BatteryCellActor(IActorRef bridge, IActorRef ledger, Subjects subjects, BatteryCellSettings settings, string hostName)
    {
        _ledger = ledger;
        _settings = settings;
        _replies = CellReplies.ForCell(bridge, subjects, BatteryCellSettings.CellName, hostName);
        _meter = _replies.Meter(ledger);
        _machine = new CellStateMachine<BatteryCellState>(BatteryCellSettings.CellName, BatteryCellState.Idle, BatteryCellState.Error, new Dictionary<(BatteryCellState, BatteryCellState), double>
        {
            [(BatteryCellState.Idle, BatteryCellState.Reading)] = settings.ReadCost,
            [(BatteryCellState.Reading, BatteryCellState.Reporting)] = 0,
            [(BatteryCellState.Reporting, BatteryCellState.Idle)] = 0,
        });

        Receive<Subscribed>(s => _log.Info("Battery cell listening on {Subject}", s.Pattern));
        Receive<Poll>(_ => Read());
        Receive<Inbound<CellRequestBody>>(OnRequest);
        Receive<Reading>(OnReading);
        Receive<ReadingFailed>(failed =>
        {
            _machine.MoveTo(BatteryCellState.Error);
            _log.Warning("Battery cell could not read the reserve: {Error}", failed.Error.Message);
            _waiting.ForEach(request => _replies.Answer(request, null, "the reserve could not be read"));
            _waiting.Clear();
            _machine.MoveTo(BatteryCellState.Idle);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef bridge, IActorRef ledger, Subjects subjects, BatteryCellSettings settings, string hostName) =>
        Akka.Actor.Props.Create(() => new BatteryCellActor(bridge, ledger, subjects, settings, hostName));

    protected override void PreStart()
    {
        _replies.Listen(Self);
        Timers.StartPeriodicTimer(nameof(Poll), Poll.Instance, _settings.PollInterval);
    }

    private void OnRequest(Inbound<CellRequestBody> request)
    {
        if (request.Envelope.Body.Operation is not ("level" or "vitality"))
        {
            _replies.Answer(request, null, $"unknown operation; the battery cell knows level and vitality");
            return;
        }

        _waiting.Add(request);
        Read();
    }

    /// <summary>Starts a reading unless one is under way (which will answer every waiting request too).</summary>
    private void Read()
    {
        if (_machine.State != BatteryCellState.Idle)
        {
            return;
        }

        _meter.Pay(_machine.MoveTo(BatteryCellState.Reading), "battery reading");
        _ledger.Ask<LifeforceLedgerMessages.Balance>(LifeforceLedgerMessages.GetBalance.Instance, ReadTimeout)
            .PipeTo(Self, success: balance => new Reading(balance), failure: error => new ReadingFailed(error));
    }

    private void OnReading(Reading reading)
    {
        _machine.MoveTo(BatteryCellState.Reporting);
        var stock = reading.Balance.Stock;
        var vitality = reading.Balance.Vitality;
        foreach (var request in _waiting)
        {
            if (request.Envelope.Body.Operation == "level")
            {
                _replies.Answer(request, stock, null);
            }
            else
            {
                _replies.Answer(request, vitality, vitality is null ? "no lifeforce was spent recently, so there is no vitality yet" : null);
            }
        }

        _waiting.Clear();
        if (stock < _settings.LowReserve)
        {
            var urgency = 0.5 + (0.5 * (1 - (Math.Max(stock, 0) / _settings.LowReserve)));
            _replies.Wave(BatteryCellSettings.Domain, urgency, CellReplies.Content(("reserve", stock), ("low_reserve", _settings.LowReserve), ("vitality", reading.Balance.Vitality)), _settings.ReadCost);
        }

        _machine.MoveTo(BatteryCellState.Idle);
    }
}
