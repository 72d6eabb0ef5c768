using Nimmerverse.Actors.Configuration;

namespace Nimmerverse.Actors.Cells.Sensor;

/// <summary>A distance sensor read from a file, Linux IIO style: section <c>Nimmerverse:Cells:Sensor</c>.</summary>
public sealed record SensorCellSettings : IOptionsSection
{
    public const string CellName = "sensor";

    /// <summary>The wave domain of a reading.</summary>
    public const string Domain = "proximity";

    public static SensorCellSettings Default { get; } = new();

    /// <summary>The reading file, e.g. <c>/sys/bus/iio/devices/iio:device0/in_distance_raw</c>. Unset (the default): no sensor cell.</summary>
    public string? Path { get; init; }

    /// <summary>How often the sensor is read. Default 200 ms.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Raw value times this is centimetres. Default 1.</summary>
    public double Scale { get; init; } = 1;

    /// <summary>At or under this distance a reading's confidence is 1. Default 30 cm.</summary>
    public double DangerCm { get; init; } = 30;

    /// <summary>At or over this distance it is 0; linear in between. Default 50 cm.</summary>
    public double ClearCm { get; init; } = 50;

    /// <summary>Lifeforce for IDLE -> POLLING. Default 0.1.</summary>
    public double PollCost { get; init; } = 0.1;

    /// <summary>Lifeforce for POLLING -> READING. Default 0.3.</summary>
    public double ReadCost { get; init; } = 0.3;

    /// <summary>A reading's urgency, the wave's confidence: 1 at the danger distance or closer, 0 at the clear one or farther.</summary>
    public double Urgency(double distanceCm) =>
        Math.Clamp((ClearCm - distanceCm) / (ClearCm - DangerCm), 0, 1);

    public void Validate(OptionProblems problems)
    {
        if (Path is { } path && !System.IO.Path.IsPathFullyQualified(path))
        {
            problems.Add("Path", $"'{path}' is not an absolute path");
        }

        problems.AtLeast("PollInterval", PollInterval, Battery.BatteryCellSettings.MinPollInterval);
        if (!double.IsFinite(Scale) || Scale <= 0)
        {
            problems.Add("Scale", $"{Scale} must be positive");
        }

        if (!double.IsFinite(DangerCm) || !double.IsFinite(ClearCm) || DangerCm < 0 || ClearCm <= DangerCm)
        {
            problems.Add("ClearCm", $"{ClearCm} must be greater than DangerCm ({DangerCm}), both >= 0");
        }

        problems.Cost("PollCost", PollCost);
        problems.Cost("ReadCost", ReadCost);
    }
}
