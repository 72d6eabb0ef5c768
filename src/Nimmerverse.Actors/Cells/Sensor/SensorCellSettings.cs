namespace Nimmerverse.Actors.Cells.Sensor;

/// <summary>A distance sensor cell's settings; bound from <c>Nimmerverse:Cells:Sensor</c>.</summary>
/// <param name="Path">
/// The reading: a file holding one number, as Linux IIO exposes a proximity or distance sensor
/// (<c>/sys/bus/iio/devices/iio:device0/in_distance_raw</c>).
/// </param>
/// <param name="PollInterval">How often it is read. Default 200 ms.</param>
/// <param name="Scale">Raw value times this is centimetres (IIO's <c>in_distance_scale</c>). Default 1.</param>
/// <param name="DangerCm">At or under this distance the wave's confidence is 1 (default 30 cm).</param>
/// <param name="ClearCm">At or over this distance it is 0 (default 50 cm); linear in between.</param>
/// <param name="PollCost">Lifeforce for IDLE -> POLLING (default 0.1).</param>
/// <param name="ReadCost">Lifeforce for POLLING -> READING (default 0.3).</param>
public sealed record SensorCellSettings(
    string Path,
    TimeSpan PollInterval,
    double Scale = 1,
    double DangerCm = 30,
    double ClearCm = 50,
    double PollCost = 0.1,
    double ReadCost = 0.3)
{
    public const string CellName = "sensor";

    /// <summary>The defaults of every parameter but the path, which has none.</summary>
    public static readonly SensorCellSettings Defaults = new("", TimeSpan.FromMilliseconds(200));

    /// <summary>The wave domain of distance readings.</summary>
    public const string Domain = "proximity";

    /// <summary>How strongly a distance argues for attention: 1 at danger, 0 when clear.</summary>
    public double Urgency(double distanceCm) =>
        Math.Clamp((ClearCm - distanceCm) / (ClearCm - DangerCm), 0, 1);
}
