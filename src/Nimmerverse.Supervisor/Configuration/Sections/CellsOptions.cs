using Nimmerverse.Actors.Cells.Battery;
using Nimmerverse.Actors.Cells.MathCell;
using Nimmerverse.Actors.Cells.Sensor;
using Nimmerverse.Actors.Configuration;

namespace Nimmerverse.Supervisor.Configuration;

/// <summary>Section <c>Nimmerverse:Cells</c>: each cell's own settings.</summary>
public sealed record CellsOptions : IOptionsSection
{
    public MathCellSettings Math { get; init; } = new();

    public BatteryCellSettings Battery { get; init; } = new();

    public SensorCellSettings Sensor { get; init; } = new();

    public void Validate(OptionProblems problems)
    {
        Math.Validate(problems.Section(nameof(Math)));
        Battery.Validate(problems.Section(nameof(Battery)));
        Sensor.Validate(problems.Section(nameof(Sensor)));
    }
}
