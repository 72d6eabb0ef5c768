using Nimmerverse.Actors.Cells;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Cells;

[Category(TestTier.Unit)]
public sealed class CellStateMachineTests
{
    private enum Sensor
    {
        Idle,
        Polling,
        Reading,
        Reporting,
        Error,
    }

    private static CellStateMachine<Sensor> SensorMachine() => new("sensor", Sensor.Idle, Sensor.Error, new Dictionary<(Sensor, Sensor), double>
    {
        [(Sensor.Idle, Sensor.Polling)] = 0.1,
        [(Sensor.Polling, Sensor.Reading)] = 0.3,
        [(Sensor.Reading, Sensor.Reporting)] = 0.05,
        [(Sensor.Reporting, Sensor.Idle)] = 0,
    });

    [Test]
    public void A_full_cycle_costs_the_sum_of_its_transitions()
    {
        var machine = SensorMachine();

        var costs = new[] { Sensor.Polling, Sensor.Reading, Sensor.Reporting, Sensor.Idle }.Select(machine.MoveTo).ToList();

        Assert.That(costs, Is.EqualTo(new[] { 0.1, 0.3, 0.05, 0 }));
        Assert.That(machine.Spent, Is.EqualTo(0.45).Within(1e-12));
        Assert.That(machine.State, Is.EqualTo(Sensor.Idle));
    }

    [Test]
    public void Any_state_falls_to_error_for_free_and_recovers_to_the_initial_state_for_free()
    {
        var machine = SensorMachine();
        machine.MoveTo(Sensor.Polling);

        Assert.That(machine.MoveTo(Sensor.Error), Is.Zero);
        Assert.That(machine.CanMoveTo(Sensor.Reading), Is.False);
        Assert.That(machine.MoveTo(Sensor.Idle), Is.Zero);
        Assert.That(machine.Spent, Is.EqualTo(0.1));
    }

    [Test]
    public void A_transition_that_is_not_listed_is_refused_and_changes_nothing()
    {
        var machine = SensorMachine();

        var error = Assert.Throws<InvalidCellTransitionException>(() => machine.MoveTo(Sensor.Reporting));

        Assert.That(error!.Message, Is.EqualTo("cell sensor cannot go from Idle to Reporting"));
        Assert.That(machine.State, Is.EqualTo(Sensor.Idle));
        Assert.That(machine.Spent, Is.Zero);
    }

    [TestCase(-1.0)]
    [TestCase(double.NaN)]
    public void Negative_or_undefined_costs_are_refused(double cost)
    {
        Assert.Throws<ArgumentException>(() => new CellStateMachine<Sensor>("s", Sensor.Idle, Sensor.Error, new Dictionary<(Sensor, Sensor), double> { [(Sensor.Idle, Sensor.Polling)] = cost }));
    }
}
