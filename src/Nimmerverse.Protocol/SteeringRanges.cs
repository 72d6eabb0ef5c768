namespace Nimmerverse.Protocol;

/// <summary>The range of a brain's tick rate, which the governor steers and the brain accepts.</summary>
public static class TickRates
{
    public const double MinHz = 1;
    public const double MaxHz = 20;

    /// <summary>A brain's rate until the governor says otherwise.</summary>
    public const double DefaultHz = 5;

    public static bool IsValid(double hz) => double.IsFinite(hz) && hz is >= MinHz and <= MaxHz;

    /// <summary>The nearest rate in range; the least for a number that is none.</summary>
    public static double Clamp(double hz) => double.IsFinite(hz) ? Math.Clamp(hz, MinHz, MaxHz) : MinHz;
}

/// <summary>The range of a brain's CPU quota, in percent of one core, as allocations carry it.</summary>
public static class CpuQuotas
{
    public const double MinPercent = 5;
    public const double MaxPercent = 100;

    public static bool IsValid(double percent) => double.IsFinite(percent) && percent is >= MinPercent and <= MaxPercent;

    /// <summary>The nearest quota in range; the least for a number that is none.</summary>
    public static double Clamp(double percent) => double.IsFinite(percent) ? Math.Clamp(percent, MinPercent, MaxPercent) : MinPercent;
}

/// <summary>The range of an NPC's LLM queue priority: 10 is the most urgent.</summary>
public static class LlmPriorities
{
    public const int Min = 0;
    public const int Max = 10;

    /// <summary>The middle priority: what a policy that does not rank NPCs gives them all.</summary>
    public const int Middle = (Min + Max) / 2;
}
