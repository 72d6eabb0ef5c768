namespace Nimmerverse.Actors.World;

/// <summary>
/// A node-intersection grid: <see cref="Rows"/> x <see cref="Columns"/> nodes, ids
/// row-major from 0 at the top-left; a move follows one edge north, south, east or west. Corner
/// nodes have two neighbours, edge nodes three, the others four.
/// </summary>
public sealed record GridMap(int Rows, int Columns)
{
    public int NodeCount => Rows * Columns;

    public int Row(int node) => node / Columns;

    public int Column(int node) => node % Columns;

    /// <summary>The node one edge away in direction <paramref name="move"/> (0 N, 1 S, 2 E, 3 W), or null off the grid.</summary>
    public int? Neighbour(int node, int move)
    {
        var (row, column) = (Row(node), Column(node));
        (row, column) = move switch
        {
            0 => (row - 1, column),
            1 => (row + 1, column),
            2 => (row, column + 1),
            3 => (row, column - 1),
            _ => throw new ArgumentOutOfRangeException(nameof(move), move, "a move is 0..3 (N, S, E, W)"),
        };
        return row >= 0 && row < Rows && column >= 0 && column < Columns ? (row * Columns) + column : null;
    }

    /// <summary>Edges on the shortest path: on a full grid, the Manhattan distance.</summary>
    public int Distance(int from, int to) => Math.Abs(Row(from) - Row(to)) + Math.Abs(Column(from) - Column(to));
}
