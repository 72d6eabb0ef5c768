namespace Nimmerverse.Actors.Lifeforce;

/// <summary>Messages understood by <see cref="LifeforceLedgerActor"/>.</summary>
public static class LifeforceLedgerMessages
{
    /// <summary>Spend lifeforce (a transition, a call). <paramref name="Source"/> is the entity that spent it.</summary>
    public sealed record Spend(double Amount, string Source, string Reason);

    /// <summary>Earn lifeforce (a reward: a goal reached, a collision avoided).</summary>
    public sealed record Earn(double Amount, string Source, string Reason);

    /// <summary>Ask for the balance; answered with <see cref="Balance"/>.</summary>
    public sealed record GetBalance
    {
        public static readonly GetBalance Instance = new();
    }

    /// <summary>
    /// The organism's energy: the stock, and income and spending over the recent window.
    /// <paramref name="Vitality"/> is income over spending (above 1 it thrives); null while nothing was spent.
    /// </summary>
    public sealed record Balance(double Stock, double Income, double Spending, double? Vitality, IReadOnlyDictionary<string, double> SpentBySource);
}
