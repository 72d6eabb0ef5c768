using Nimmerverse.Actors.Thalamus;

namespace Nimmerverse.Supervisor.Configuration;

/// <summary>Section <c>Nimmerverse:Thalamus</c>: how the gates move (see README, "Gates").</summary>
public sealed class ThalamusOptions : IOptionsSection
{
    /// <summary>Waves of one domain within this window are correlated. Default 1.5 s.</summary>
    public TimeSpan CorrelationWindow { get; init; } = GateSettings.Default.CorrelationWindow;

    /// <summary>Each step the gate value is multiplied by this (0..1). Default 0.95.</summary>
    public double Decay { get; init; } = GateSettings.Default.Decay;

    /// <summary>How often gates decay. Default 100 ms.</summary>
    public TimeSpan StepInterval { get; init; } = GateSettings.Default.EffectiveStepInterval;

    /// <summary>Above it a gate is OPEN. Default 0.5.</summary>
    public double OpenThreshold { get; init; } = GateSettings.Default.OpenThreshold;

    /// <summary>Below it a gate is CLOSED. Default -0.5.</summary>
    public double CloseThreshold { get; init; } = GateSettings.Default.CloseThreshold;

    /// <summary>How far one fully correlated, fully confident wave moves a gate. Default 0.25.</summary>
    public double WaveWeight { get; init; } = GateSettings.Default.WaveWeight;

    /// <summary>Most gates (wave domains) kept; waves of further domains are refused and counted. Default 256.</summary>
    public int MaxGates { get; init; } = GateSettings.Default.MaxGates;

    public GateSettings ToSettings() => new(CorrelationWindow, Decay, StepInterval, OpenThreshold, CloseThreshold, WaveWeight, MaxGates);

    public void Validate(OptionProblems problems)
    {
        problems.Positive("CorrelationWindow", CorrelationWindow);
        if (StepInterval < TimeSpan.FromMilliseconds(1))
        {
            problems.Add("StepInterval", $"{StepInterval} is shorter than 1 ms");
        }

        if (!double.IsFinite(Decay) || Decay is <= 0 or >= 1)
        {
            problems.Add("Decay", $"{Decay} is not between 0 and 1 (exclusive)");
        }

        if (!double.IsFinite(OpenThreshold) || OpenThreshold is <= 0 or >= 1)
        {
            problems.Add("OpenThreshold", $"{OpenThreshold} is not between 0 and 1 (exclusive)");
        }

        if (!double.IsFinite(CloseThreshold) || CloseThreshold is <= -1 or >= 0)
        {
            problems.Add("CloseThreshold", $"{CloseThreshold} is not between -1 and 0 (exclusive)");
        }

        if (!double.IsFinite(WaveWeight) || WaveWeight is <= 0 or > 1)
        {
            problems.Add("WaveWeight", $"{WaveWeight} is not in (0, 1]");
        }

        if (MaxGates is < 1 or > 100_000)
        {
            problems.Add("MaxGates", $"{MaxGates} is outside 1..100000");
        }
    }
}
