namespace Nimmerverse.Actors.Cells.MathCell;

/// <summary>The math cell's settings; bound from <c>Nimmerverse:Cells:Math</c>.</summary>
/// <param name="ComputeCost">Lifeforce for IDLE -> COMPUTING. Default 0.1 (a sensor poll's cost).</param>
/// <param name="ReportCost">Lifeforce for COMPUTING -> REPORTING (the response and the wave). Default 0.05.</param>
public sealed record MathCellSettings(double ComputeCost = 0.1, double ReportCost = 0.05)
{
    public const string CellName = "math";

    public static readonly MathCellSettings Default = new();
}
