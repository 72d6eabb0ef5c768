using Nimmerverse.Actors.Configuration;

namespace Nimmerverse.Actors.Cells.MathCell;

/// <summary>The lifeforce the math cell spends per transition: section <c>Nimmerverse:Cells:Math</c>.</summary>
public sealed record MathCellSettings : IOptionsSection
{
    public const string CellName = "math";

    public static MathCellSettings Default { get; } = new();

    /// <summary>IDLE -> COMPUTING. Default 0.1 LF.</summary>
    public double ComputeCost { get; init; } = 0.1;

    /// <summary>COMPUTING -> REPORTING. Default 0.05 LF.</summary>
    public double ReportCost { get; init; } = 0.05;

    public void Validate(OptionProblems problems)
    {
        problems.Cost("ComputeCost", ComputeCost);
        problems.Cost("ReportCost", ReportCost);
    }
}
