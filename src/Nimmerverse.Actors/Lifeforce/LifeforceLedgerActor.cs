using Akka.Actor;
using Akka.Event;
using static Nimmerverse.Actors.Lifeforce.LifeforceLedgerMessages;

namespace Nimmerverse.Actors.Lifeforce;

/// <summary>
/// The organism's lifeforce account (docs/domain.md): a stock that starts at
/// <see cref="InitialStock"/>, grows by income and shrinks by every transition and call.
/// Income and spending are kept over a sliding window so vitality reflects the present.
/// </summary>
public sealed class LifeforceLedgerActor : ReceiveActor
{
    /// <summary>An organism starts with 100 LF.</summary>
    public const double InitialStock = 100;

    private readonly TimeSpan _window;
    private readonly TimeProvider _clock;
    private readonly Queue<(long At, double Income, double Spending)> _recent = new();
    private readonly Dictionary<string, double> _spentBySource = new(StringComparer.Ordinal);
    private double _stock = InitialStock;

    public LifeforceLedgerActor(TimeSpan window, TimeProvider clock)
    {
        _window = window;
        _clock = clock;
        Receive<Spend>(spend => Record(spend.Amount, spend.Source, spending: true));
        Receive<Earn>(earn => Record(earn.Amount, earn.Source, spending: false));
        Receive<GetBalance>(_ => Sender.Tell(CurrentBalance()));
    }

    public static Props Props(TimeSpan? window = null, TimeProvider? clock = null) =>
        Akka.Actor.Props.Create(() => new LifeforceLedgerActor(window ?? TimeSpan.FromMinutes(1), clock ?? TimeProvider.System));

    private void Record(double amount, string source, bool spending)
    {
        if (!double.IsFinite(amount) || amount < 0)
        {
            Context.GetLogger().Warning("Ignored a lifeforce {Kind} of {Amount} from {Source}: not a finite amount >= 0", spending ? "spend" : "income", amount, source);
            return;
        }

        _stock += spending ? -amount : amount;
        _recent.Enqueue((_clock.GetTimestamp(), spending ? 0 : amount, spending ? amount : 0));
        if (spending)
        {
            _spentBySource[source] = _spentBySource.GetValueOrDefault(source) + amount;
        }
    }

    private Balance CurrentBalance()
    {
        var now = _clock.GetTimestamp();
        while (_recent.Count > 0 && _clock.GetElapsedTime(_recent.Peek().At, now) > _window)
        {
            _recent.Dequeue();
        }

        var income = _recent.Sum(r => r.Income);
        var spending = _recent.Sum(r => r.Spending);
        return new Balance(_stock, income, spending, spending > 0 ? income / spending : null, new Dictionary<string, double>(_spentBySource));
    }
}
