using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Thalamus;

/// <summary>
/// A ternary gate for one domain (docs/domain.md). Each wave carries evidence
/// <c>e = 2 * confidence - 1</c> (a confident wave argues for escalation, a doubtful one for
/// suppression). Its correlation <c>ρ</c> is the share of the domain's waves inside the
/// correlation window, itself included, whose evidence has the same sign: a lone wave or a
/// chorus counts fully, a wave contradicted by its neighbours counts less. The gate value moves
/// by <c>WaveWeight · ρ · e</c>, is held within -1..+1, and decays by <c>Decay</c> every step.
/// Above <c>OpenThreshold</c> the gate is OPEN, below <c>CloseThreshold</c> CLOSED, else STABLE;
/// crossing from one to another is a transition, reported with the waves that caused it.
/// Not thread-safe: it lives inside the thalamus actor.
/// </summary>
public sealed class Gate(string domain, GateSettings settings, TimeProvider clock)
{
    /// <summary>At most this many wave ids go into one transition's <c>trigger_waves</c>.</summary>
    public const int MaxTriggerWaves = 32;

    private readonly Queue<(Guid Id, double Evidence, int Tier, long At)> _window = new();

    /// <summary>Waves in the window by the sign of their evidence (-1, 0, +1), kept as the window changes so a wave costs O(1).</summary>
    private readonly int[] _bySign = new int[3];

    public string Domain { get; } = domain;

    public string GateId { get; } = $"gate-{domain}";

    public double Value { get; private set; }

    public GateState State { get; private set; } = GateState.Stable;

    /// <summary>Feeds one wave; returns the transition it caused, if any.</summary>
    public GateTransitionBody? OnWave(Guid waveId, double confidence, int sourceTier)
    {
        var now = clock.GetTimestamp();
        Expire(now);
        var evidence = (2 * confidence) - 1;
        _window.Enqueue((waveId, evidence, sourceTier, now));
        _bySign[Math.Sign(evidence) + 1]++;
        var correlation = (double)_bySign[Math.Sign(evidence) + 1] / _window.Count;
        Value = Math.Clamp(Value + (settings.WaveWeight * correlation * evidence), -1, 1);
        return Reclassify(correlation);
    }

    /// <summary>One decay step; returns the transition if the decay carried the gate back across a threshold.</summary>
    public GateTransitionBody? Step()
    {
        Expire(clock.GetTimestamp());
        Value *= settings.Decay;
        return Reclassify(correlation: 0);
    }

    private GateTransitionBody? Reclassify(double correlation)
    {
        var next = Value > settings.OpenThreshold ? GateState.Open : Value < settings.CloseThreshold ? GateState.Closed : GateState.Stable;
        if (next == State)
        {
            return null;
        }

        var from = State;
        State = next;
        // One pass over the window, no LINQ: the highest tier, and the ids of its last MaxTriggerWaves waves.
        var highestTier = _window.Count == 0 ? 1 : int.MinValue;
        var triggers = new Guid[Math.Min(_window.Count, MaxTriggerWaves)];
        var skip = _window.Count - triggers.Length;
        var index = 0;
        foreach (var wave in _window)
        {
            highestTier = Math.Max(highestTier, wave.Tier);
            if (index >= skip)
            {
                triggers[index - skip] = wave.Id;
            }

            index++;
        }

        var routedTo = next switch
        {
            // Escalate one tier above the waves that opened it; suppress to reflexes; otherwise stay.
            GateState.Open => Math.Min(highestTier + 1, Tiers.Max),
            GateState.Closed => 0,
            _ => highestTier,
        };
        return new GateTransitionBody(GateId, Domain, from, next, Value, correlation, triggers, routedTo);
    }

    private void Expire(long now)
    {
        while (_window.Count > 0 && clock.GetElapsedTime(_window.Peek().At, now) > settings.CorrelationWindow)
        {
            _bySign[Math.Sign(_window.Dequeue().Evidence) + 1]--;
        }
    }
}
