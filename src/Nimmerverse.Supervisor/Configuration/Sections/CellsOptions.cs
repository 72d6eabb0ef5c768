using Nimmerverse.Actors.Cells.Battery;
using Nimmerverse.Actors.Cells.MathCell;
using Nimmerverse.Actors.Cells.Sensor;

namespace Nimmerverse.Supervisor.Configuration;

/// <summary>Section <c>Nimmerverse:Cells</c>.</summary>
public sealed class CellsOptions : IOptionsSection
{
    public MathCellOptions Math { get; init; } = new();

    public BatteryCellOptions Battery { get; init; } = new();

    public SensorCellOptions Sensor { get; init; } = new();

    public void Validate(OptionProblems problems)
    {
        Math.Validate(problems.Section("Math"));
        Battery.Validate(problems.Section("Battery"));
        Sensor.Validate(problems.Section("Sensor"));
    }
}

/// <summary>Section <c>Nimmerverse:Cells:Math</c>: the lifeforce the math cell spends per transition.</summary>
public sealed class MathCellOptions : IOptionsSection
{
    /// <summary>IDLE -> COMPUTING. Default 0.1 LF.</summary>
    public double ComputeCost { get; init; } = MathCellSettings.Default.ComputeCost;

    /// <summary>COMPUTING -> REPORTING. Default 0.05 LF.</summary>
    public double ReportCost { get; init; } = MathCellSettings.Default.ReportCost;

    public MathCellSettings ToSettings() => new(ComputeCost, ReportCost);

    public void Validate(OptionProblems problems)
    {
        problems.Cost("ComputeCost", ComputeCost);
        problems.Cost("ReportCost", ReportCost);
    }
}

/// <summary>Section <c>Nimmerverse:Cells:Battery</c>: the cell that watches the lifeforce reserve.</summary>
public sealed class BatteryCellOptions : IOptionsSection
{
    /// <summary>The shortest poll interval of a cell.</summary>
    public static readonly TimeSpan MinPollInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>How often the reserve is read. Default 5 s.</summary>
    public TimeSpan PollInterval { get; init; } = BatteryCellSettings.Default.PollInterval;

    /// <summary>Below this stock (LF) the cell sends energy waves. Default 20.</summary>
    public double LowReserve { get; init; } = BatteryCellSettings.Default.LowReserve;

    /// <summary>Lifeforce per reading. Default 0.01.</summary>
    public double ReadCost { get; init; } = BatteryCellSettings.Default.ReadCost;

    public BatteryCellSettings ToSettings() => new(PollInterval, LowReserve, ReadCost);

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

/// <summary>Section <c>Nimmerverse:Cells:Sensor</c>: a distance sensor read from a file (Linux IIO style).</summary>
public sealed class SensorCellOptions : IOptionsSection
{
    /// <summary>The reading file, e.g. <c>/sys/bus/iio/devices/iio:device0/in_distance_raw</c>. Unset (the default): no sensor cell.</summary>
    public string? Path { get; init; }

    /// <summary>Default 200 ms.</summary>
    public TimeSpan PollInterval { get; init; } = SensorCellSettings.Defaults.PollInterval;

    /// <summary>Raw value times this is centimetres. Default 1.</summary>
    public double Scale { get; init; } = SensorCellSettings.Defaults.Scale;

    /// <summary>Danger distance (confidence 1). Default 30 cm.</summary>
    public double DangerCm { get; init; } = SensorCellSettings.Defaults.DangerCm;

    /// <summary>Clear distance (confidence 0). Default 50 cm.</summary>
    public double ClearCm { get; init; } = SensorCellSettings.Defaults.ClearCm;

    /// <summary>Lifeforce per poll. Default 0.1.</summary>
    public double PollCost { get; init; } = SensorCellSettings.Defaults.PollCost;

    /// <summary>Lifeforce per reading. Default 0.3.</summary>
    public double ReadCost { get; init; } = SensorCellSettings.Defaults.ReadCost;

    /// <summary>The cell's settings, or null when no reading file is configured.</summary>
    public SensorCellSettings? ToSettings() => Path is { } path ? new(path, PollInterval, Scale, DangerCm, ClearCm, PollCost, ReadCost) : null;

    public void Validate(OptionProblems problems)
    {
        if (Path is { } path && !System.IO.Path.IsPathFullyQualified(path))
        {
            problems.Add("Path", $"'{path}' is not an absolute path");
        }

        problems.AtLeast("PollInterval", PollInterval, BatteryCellOptions.MinPollInterval);
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
