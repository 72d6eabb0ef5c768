using Nimmerverse.Actors.Configuration;

namespace Nimmerverse.Actors.Thalamus;

/// <summary>How thalamus gates move: section <c>Nimmerverse:Thalamus</c>.</summary>
public sealed record GateSettings : IOptionsSection
{
    public static GateSettings Default { get; } = new();

    /// <summary>Waves of one domain within this window are correlated. Default 1.5 s.</summary>
    public TimeSpan CorrelationWindow { get; init; } = TimeSpan.FromSeconds(1.5);

    /// <summary>Each step the gate value is multiplied by this (0..1). Default 0.95.</summary>
    public double Decay { get; init; } = 0.95;

    /// <summary>How often gates decay. Default 100 ms.</summary>
    public TimeSpan StepInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Above it a gate is OPEN (escalate). Default 0.5.</summary>
    public double OpenThreshold { get; init; } = 0.5;

    /// <summary>Below it a gate is CLOSED (suppress). Default -0.5.</summary>
    public double CloseThreshold { get; init; } = -0.5;

    /// <summary>How far one fully correlated, fully confident wave moves a gate. Default 0.25.</summary>
    public double WaveWeight { get; init; } = 0.25;

    /// <summary>Domains come from data: past this many gates a wave of a new domain is refused and counted. Default 256.</summary>
    public int MaxGates { get; init; } = 256;

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
