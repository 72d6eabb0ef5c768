using Microsoft.Extensions.Time.Testing;
using Nimmerverse.Actors.Thalamus;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Thalamus;

[Category(TestTier.Unit)]
public sealed class GateTests
{
    private readonly FakeTimeProvider _clock = new();

    private Gate NewGate() => new("vision", GateSettings.Default, _clock);

    [Test]
    public void Confident_agreeing_waves_open_the_gate_and_escalate_one_tier_above_them()
    {
        var gate = NewGate();
        var waves = Enumerable.Range(0, 3).Select(_ => Guid.NewGuid()).ToList();

        var first = gate.OnWave(waves[0], confidence: 1, sourceTier: 1);
        var second = gate.OnWave(waves[1], confidence: 1, sourceTier: 1);
        var third = gate.OnWave(waves[2], confidence: 1, sourceTier: 1);

        Assert.That(first, Is.Null);
        Assert.That(second, Is.Null, "0.5 is the threshold, not above it");
        Assert.That(third, Is.Not.Null);
        Assert.That(third!.FromState, Is.EqualTo(GateState.Stable));
        Assert.That(third.ToState, Is.EqualTo(GateState.Open));
        Assert.That(third.StateValue, Is.EqualTo(0.75).Within(1e-12));
        Assert.That(third.CorrelationScore, Is.EqualTo(1));
        Assert.That(third.TriggerWaves, Is.EqualTo(waves));
        Assert.That(third.RoutedToTier, Is.EqualTo(2));
        Assert.That(third.GateId, Is.EqualTo("gate-vision"));
    }

    [Test]
    public void An_open_gate_decays_back_to_stable_when_no_waves_come()
    {
        var gate = NewGate();
        for (var i = 0; i < 3; i++)
        {
            gate.OnWave(Guid.NewGuid(), 1, 1);
        }

        var steps = 0;
        GateTransitionBody? back = null;
        while (back is null && steps < 100)
        {
            steps++;
            back = gate.Step();
        }

        // 0.75 * 0.95^n falls to 0.5 or below first at n = 8.
        Assert.That(steps, Is.EqualTo(8));
        Assert.That(back!.ToState, Is.EqualTo(GateState.Stable));
        Assert.That(back.FromState, Is.EqualTo(GateState.Open));
    }

    [Test]
    public void Doubtful_waves_close_the_gate_and_route_to_reflexes()
    {
        var gate = NewGate();

        var transitions = Enumerable.Range(0, 3).Select(_ => gate.OnWave(Guid.NewGuid(), confidence: 0, sourceTier: 1)).ToList();

        Assert.That(transitions[2]!.ToState, Is.EqualTo(GateState.Closed));
        Assert.That(transitions[2]!.RoutedToTier, Is.Zero);
        Assert.That(gate.Value, Is.EqualTo(-0.75).Within(1e-12));
    }

    [Test]
    public void A_wave_contradicted_by_its_neighbours_counts_less()
    {
        var gate = NewGate();
        gate.OnWave(Guid.NewGuid(), 1, 1);
        gate.OnWave(Guid.NewGuid(), 0, 1);

        var before = gate.Value;
        gate.OnWave(Guid.NewGuid(), 1, 1);

        // The third agrees with one of the two others, itself included: correlation 2/3.
        Assert.That(gate.Value - before, Is.EqualTo(0.25 * 2.0 / 3.0).Within(1e-12));
    }

    [Test]
    public void Waves_older_than_the_correlation_window_no_longer_count()
    {
        var gate = NewGate();
        gate.OnWave(Guid.NewGuid(), 0, 1);
        gate.OnWave(Guid.NewGuid(), 0, 1);
        _clock.Advance(TimeSpan.FromSeconds(2));

        var before = gate.Value;
        gate.OnWave(Guid.NewGuid(), 1, 1);

        Assert.That(gate.Value - before, Is.EqualTo(0.25).Within(1e-12), "the old doubtful waves left the window");
    }

    [Test]
    public void The_gate_value_stays_within_minus_one_and_one()
    {
        var gate = NewGate();

        for (var i = 0; i < 50; i++)
        {
            gate.OnWave(Guid.NewGuid(), 1, 1);
        }

        Assert.That(gate.Value, Is.EqualTo(1));
    }
}
