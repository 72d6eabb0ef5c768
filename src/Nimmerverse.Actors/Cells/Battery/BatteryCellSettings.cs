namespace Nimmerverse.Actors.Cells.Battery;

/// <summary>The battery cell's settings; bound from <c>Nimmerverse:Cells:Battery</c>.</summary>
/// <param name="PollInterval">How often the reserve is read. Default 5 s.</param>
/// <param name="LowReserve">Below this stock (LF) the cell sends waves: the reserve is low. Default 20.</param>
/// <param name="ReadCost">Lifeforce for IDLE -> READING. Default 0.01 (reading a number it already keeps is cheap).</param>
public sealed record BatteryCellSettings(TimeSpan PollInterval, double LowReserve = 20, double ReadCost = 0.01)
{
    public const string CellName = "battery";

    /// <summary>The wave domain of a low reserve.</summary>
    public const string Domain = "energy";

    public static readonly BatteryCellSettings Default = new(TimeSpan.FromSeconds(5));
}
