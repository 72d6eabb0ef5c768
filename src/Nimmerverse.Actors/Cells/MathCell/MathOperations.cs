namespace Nimmerverse.Actors.Cells.MathCell;

/// <summary>The math cell's arithmetic: a result, or the reason there is none.</summary>
public static class MathOperations
{
    public static readonly IReadOnlySet<string> Known = new HashSet<string>(StringComparer.Ordinal) { "add", "sub", "mul", "div" };

    public static (double? Result, string? Error) Apply(string operation, IReadOnlyList<double> operands)
    {
        if (!Known.Contains(operation))
        {
            return (null, $"unknown operation '{(operation.Length > 32 ? operation[..32] + "..." : operation)}'; known: add, sub, mul, div");
        }

        if (operands.Count < 2)
        {
            return (null, $"{operation} needs at least two operands");
        }

        var result = operands[0];
        for (var i = 1; i < operands.Count; i++)
        {
            var operand = operands[i];
            if (operation == "div" && operand == 0)
            {
                return (null, "division by zero");
            }

            result = operation switch
            {
                "add" => result + operand,
                "sub" => result - operand,
                "mul" => result * operand,
                _ => result / operand,
            };
        }

        return double.IsFinite(result) ? (result, null) : (null, "the result is not a finite number");
    }
}
