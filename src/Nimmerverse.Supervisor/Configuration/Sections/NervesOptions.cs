using Nimmerverse.Actors.Nerves;

namespace Nimmerverse.Supervisor.Configuration;

/// <summary>Section <c>Nimmerverse:Nerves</c>.</summary>
public sealed class NervesOptions : IOptionsSection
{
    public CollisionAvoidanceOptions CollisionAvoidance { get; init; } = new();

    public ExplorationOptions Exploration { get; init; } = new();

    public void Validate(OptionProblems problems)
    {
        CollisionAvoidance.Validate(problems.Section("CollisionAvoidance"));
        Exploration.Validate(problems.Section("Exploration"));
    }
}

/// <summary>Section <c>Nimmerverse:Nerves:CollisionAvoidance</c>.</summary>
public sealed class CollisionAvoidanceOptions : IOptionsSection
{
    /// <summary>Under this distance it evades. Default 30 cm.</summary>
    public double DangerCm { get; init; } = CollisionAvoidanceSettings.Default.DangerCm;

    /// <summary>At or over this distance it resumes. Default 50 cm.</summary>
    public double ClearCm { get; init; } = CollisionAvoidanceSettings.Default.ClearCm;

    /// <summary>Successful evasions after which it becomes a reflex. Default 10.</summary>
    public int ReflexAfter { get; init; } = CollisionAvoidanceSettings.Default.ReflexAfter;

    public CollisionAvoidanceSettings ToSettings() => CollisionAvoidanceSettings.Default with { DangerCm = DangerCm, ClearCm = ClearCm, ReflexAfter = ReflexAfter };

    public void Validate(OptionProblems problems)
    {
        if (!double.IsFinite(DangerCm) || !double.IsFinite(ClearCm) || DangerCm < 0 || ClearCm <= DangerCm)
        {
            problems.Add("ClearCm", $"{ClearCm} must be greater than DangerCm ({DangerCm}), both >= 0");
        }

        if (ReflexAfter is < 1 or > 1_000_000)
        {
            problems.Add("ReflexAfter", $"{ReflexAfter} is outside 1..1000000");
        }
    }
}

/// <summary>Section <c>Nimmerverse:Nerves:Exploration</c>. Opt-in: every step spends lifeforce.</summary>
public sealed class ExplorationOptions : IOptionsSection
{
    /// <summary>One motor move per interval. Unset (the default): no exploration.</summary>
    public TimeSpan? StepInterval { get; init; }

    /// <summary>Lifeforce per move. Default 0.3.</summary>
    public double MoveCost { get; init; } = ExplorationSettings.DefaultMoveCost;

    /// <summary>The nerve's settings, or null when exploration is off.</summary>
    public ExplorationSettings? ToSettings() => StepInterval is { } step ? new(step, MoveCost) : null;

    public void Validate(OptionProblems problems)
    {
        if (StepInterval is { } step && step < TimeSpan.FromMilliseconds(10))
        {
            problems.Add("StepInterval", $"{step} is shorter than 10 ms");
        }

        problems.Cost("MoveCost", MoveCost);
    }
}
