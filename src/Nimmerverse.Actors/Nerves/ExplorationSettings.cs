namespace Nimmerverse.Actors.Nerves;

/// <summary>The exploration nerve's settings; bound from <c>Nimmerverse:Nerves:Exploration</c>.</summary>
/// <param name="StepInterval">One move per interval while exploring.</param>
/// <param name="MoveCost">Lifeforce per move (default a motor move 0.3 per tick).</param>
/// <param name="Seed">Seed of the random walk; null for a different walk each run.</param>
public sealed record ExplorationSettings(TimeSpan StepInterval, double MoveCost = ExplorationSettings.DefaultMoveCost, int? Seed = null)
{
    /// <summary>A motor move costs 0.3 LF per tick by default.</summary>
    public const double DefaultMoveCost = 0.3;

    public const string NerveName = "exploration";

    /// <summary>Gate domains whose opening pauses exploration: danger, and a running-down reserve.</summary>
    public static readonly IReadOnlySet<string> PausingDomains = new HashSet<string>(StringComparer.Ordinal) { "proximity", "energy" };
}
