namespace Nimmerverse.Actors.Nerves;

/// <summary>The collision avoidance nerve's settings; bound from <c>Nimmerverse:Nerves:CollisionAvoidance</c>.</summary>
/// <param name="DangerCm">Under this distance it evades (default 30 cm).</param>
/// <param name="ClearCm">At or over this distance it resumes (default 50 cm).</param>
/// <param name="ReflexAfter">After this many successful evasions it becomes a reflex. Default 10.</param>
/// <param name="DetectCost">IDLE -> DETECT. Default 0.1 LF.</param>
/// <param name="EvaluateCost">DETECT -> EVALUATE. Default 0.2 LF.</param>
/// <param name="EvadeCost">-> EVADE (the motor command). Default 0.3 LF.</param>
/// <param name="ResumeCost">EVADE -> RESUME. Default 0.1 LF.</param>
public sealed record CollisionAvoidanceSettings(
    double DangerCm = 30,
    double ClearCm = 50,
    int ReflexAfter = 10,
    double DetectCost = 0.1,
    double EvaluateCost = 0.2,
    double EvadeCost = 0.3,
    double ResumeCost = 0.1)
{
    public const string NerveName = "collision";

    /// <summary>The gate and wave domain it watches: the sensor cell's.</summary>
    public const string WatchedDomain = "proximity";

    public const string SensorCell = "sensor";

    /// <summary>The cell it commands (a robot's or an NPC's motor cell; external to the supervisor).</summary>
    public const string MotorCell = "motor";

    public static readonly CollisionAvoidanceSettings Default = new();
}
