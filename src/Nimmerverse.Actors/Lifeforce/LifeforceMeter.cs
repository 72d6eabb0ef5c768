using Akka.Actor;

namespace Nimmerverse.Actors.Lifeforce;

/// <summary>How a cell or nerve pays for what it does: every non-zero cost goes to the ledger under its entity id.</summary>
public sealed class LifeforceMeter(IActorRef ledger, string entityId)
{
    /// <summary>Pays <paramref name="cost"/> (if any) and returns it, so a transition reads <c>meter.Pay(machine.MoveTo(to), reason)</c>.</summary>
    public double Pay(double cost, string reason)
    {
        if (cost > 0)
        {
            ledger.Tell(new LifeforceLedgerMessages.Spend(cost, entityId, reason));
        }

        return cost;
    }
}
