using Nimmerverse.Actors.Configuration;

namespace Nimmerverse.Actors.Cells.Battery;

/// <summary>The cell that watches the lifeforce reserve: section <c>Nimmerverse:Cells:Battery</c>.</summary>
public sealed record BatteryCellSettings : IOptionsSection
{
    public const string CellName = "battery";

    /// <summary>The wave domain of a low reserve.</summary>
    public const string Domain = "energy";

    /// <summary>The shortest poll interval of a cell.</summary>
    public static readonly TimeSpan MinPollInterval = TimeSpan.FromMilliseconds(10);

    public static BatteryCellSettings Default { get; } = new();

    /// <summary>How often the reserve is read. Default 5 s.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Below this stock (LF) the cell sends energy waves: the reserve is low. Default 20.</summary>
    public double LowReserve { get; init; } = 20;

    /// <summary>Lifeforce for IDLE -> READING. Default 0.01 (reading a number it already keeps is cheap).</summary>
    public double ReadCost { get; init; } = 0.01;

    public void Validate(OptionProblems problems)
    {
        problems.AtLeast("PollInterval", PollInterval, MinPollInterval);
        if (!double.IsFinite(LowReserve) || LowReserve <= 0)
        {
            problems.Add("LowReserve", $"{LowReserve} must be a positive number of LF");
        }

        problems.Cost("ReadCost", ReadCost);
    }
}
