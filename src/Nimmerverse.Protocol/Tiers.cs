namespace Nimmerverse.Protocol;

/// <summary>
/// Processing tiers by latency budget. A message's source names the tier it works at, and a gate
/// transition names the tier it escalates to.
/// </summary>
public static class Tiers
{
    /// <summary>Under 10 ms.</summary>
    public const int Reflex = 0;

    /// <summary>Under 50 ms.</summary>
    public const int Cells = 1;

    /// <summary>Under 200 ms.</summary>
    public const int Nerves = 2;

    /// <summary>Function Gemma, the structured boundary: under 2 s.</summary>
    public const int Boundary = 3;

    /// <summary>The LLM: under 4 s.</summary>
    public const int Cortex = 4;

    public const int Max = Cortex;

    public static bool IsValid(int tier) => tier is >= Reflex and <= Max;
}
