namespace Nimmerverse.Actors.Cells;

/// <summary>A transition a cell's state machine does not allow.</summary>
public sealed class InvalidCellTransitionException(string cell, string from, string to)
    : InvalidOperationException($"cell {cell} cannot go from {from} to {to}");

/// <summary>
/// A cell's states and the lifeforce each transition costs (docs/domain.md). Only listed
/// transitions are allowed; any state may fall to the error state at no cost, and the error state may only go back to the initial one (recovery, also free).
/// Not thread-safe: it lives inside one actor.
/// </summary>
public sealed class CellStateMachine<TState>
    where TState : struct, Enum
{
    private readonly IReadOnlyDictionary<(TState From, TState To), double> _costs;

    public CellStateMachine(string cell, TState initial, TState error, IReadOnlyDictionary<(TState From, TState To), double> costs)
    {
        foreach (var ((from, to), cost) in costs)
        {
            if (!double.IsFinite(cost) || cost < 0)
            {
                throw new ArgumentException($"the cost of {from} -> {to} must be a finite number >= 0, not {cost}", nameof(costs));
            }
        }

        Cell = cell;
        Initial = initial;
        Error = error;
        State = initial;
        _costs = costs;
    }

    public string Cell { get; }

    public TState Initial { get; }

    public TState Error { get; }

    public TState State { get; private set; }

    /// <summary>Lifeforce spent by all transitions so far.</summary>
    public double Spent { get; private set; }

    /// <summary>Moves to <paramref name="to"/> and returns what that cost.</summary>
    /// <exception cref="InvalidCellTransitionException">When the transition is not allowed.</exception>
    public double MoveTo(TState to)
    {
        double cost;
        if (EqualityComparer<TState>.Default.Equals(to, Error)
            || (EqualityComparer<TState>.Default.Equals(State, Error) && EqualityComparer<TState>.Default.Equals(to, Initial)))
        {
            cost = 0;
        }
        else if (!_costs.TryGetValue((State, to), out cost))
        {
            throw new InvalidCellTransitionException(Cell, State.ToString(), to.ToString());
        }

        State = to;
        Spent += cost;
        return cost;
    }

    /// <summary>Whether the machine may go from its current state to <paramref name="to"/>.</summary>
    public bool CanMoveTo(TState to) =>
        EqualityComparer<TState>.Default.Equals(to, Error)
        || (EqualityComparer<TState>.Default.Equals(State, Error) && EqualityComparer<TState>.Default.Equals(to, Initial))
        || _costs.ContainsKey((State, to));
}
