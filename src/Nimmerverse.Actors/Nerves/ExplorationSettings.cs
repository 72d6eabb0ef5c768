using Nimmerverse.Actors.Configuration;

namespace Nimmerverse.Actors.Nerves;

/// <summary>The exploration nerve: section <c>Nimmerverse:Nerves:Exploration</c>. Opt-in: every step spends lifeforce.</summary>
public sealed record ExplorationSettings : IOptionsSection
{
    public const string NerveName = "exploration";

    /// <summary>Gate domains whose opening pauses exploration: danger, and a running-down reserve.</summary>
    public static readonly IReadOnlySet<string> PausingDomains = new HashSet<string>(StringComparer.Ordinal) { "proximity", "energy" };

    public static ExplorationSettings Default { get; } = new();

    /// <summary>One paid motor move per interval. Unset (the default): no exploration.</summary>
    public TimeSpan? StepInterval { get; init; }

    /// <summary>Lifeforce per move. Default 0.3 (a motor move per tick).</summary>
    public double MoveCost { get; init; } = 0.3;

    /// <summary>Seed of the random walk. Unset (the default): a different walk each run.</summary>
    public int? Seed { get; init; }

    public void Validate(OptionProblems problems)
    {
        if (StepInterval is { } step && step < TimeSpan.FromMilliseconds(10))
        {
            problems.Add("StepInterval", $"{step} is shorter than 10 ms");
        }

        problems.Cost("MoveCost", MoveCost);
    }
}
