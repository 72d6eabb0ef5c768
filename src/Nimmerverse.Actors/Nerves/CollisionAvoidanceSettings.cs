using Nimmerverse.Actors.Configuration;

namespace Nimmerverse.Actors.Nerves;

/// <summary>The collision avoidance nerve: section <c>Nimmerverse:Nerves:CollisionAvoidance</c>.</summary>
public sealed record CollisionAvoidanceSettings : IOptionsSection
{
    public const string NerveName = "collision";

    /// <summary>The gate and wave domain it watches: the sensor cell's.</summary>
    public const string WatchedDomain = "proximity";

    public const string SensorCell = "sensor";

    /// <summary>The cell it commands (a robot's or an NPC's motor cell; external to the supervisor).</summary>
    public const string MotorCell = "motor";

    public static CollisionAvoidanceSettings Default { get; } = new();

    /// <summary>Under this distance it evades. Default 30 cm.</summary>
    public double DangerCm { get; init; } = 30;

    /// <summary>At or over this distance it resumes. Default 50 cm.</summary>
    public double ClearCm { get; init; } = 50;

    /// <summary>Successful evasions after which it becomes a reflex. Default 10.</summary>
    public int ReflexAfter { get; init; } = 10;

    /// <summary>Lifeforce for IDLE -> DETECT. Default 0.1.</summary>
    public double DetectCost { get; init; } = 0.1;

    /// <summary>Lifeforce for DETECT -> EVALUATE. Default 0.2.</summary>
    public double EvaluateCost { get; init; } = 0.2;

    /// <summary>Lifeforce for -> EVADE (the motor command). Default 0.3.</summary>
    public double EvadeCost { get; init; } = 0.3;

    /// <summary>Lifeforce for EVADE -> RESUME. Default 0.1.</summary>
    public double ResumeCost { get; init; } = 0.1;

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
        foreach (var (key, cost) in new[] { ("DetectCost", DetectCost), ("EvaluateCost", EvaluateCost), ("EvadeCost", EvadeCost), ("ResumeCost", ResumeCost) })
        {
            problems.Cost(key, cost);
        }
    }
}
