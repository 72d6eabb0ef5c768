using Nimmerverse.Actors.Configuration;
using Nimmerverse.Actors.Nerves;

namespace Nimmerverse.Supervisor.Configuration;

/// <summary>Section <c>Nimmerverse:Nerves</c>: each nerve's own settings.</summary>
public sealed record NervesOptions : IOptionsSection
{
    public CollisionAvoidanceSettings CollisionAvoidance { get; init; } = new();

    public ExplorationSettings Exploration { get; init; } = new();

    public void Validate(OptionProblems problems)
    {
        CollisionAvoidance.Validate(problems.Section(nameof(CollisionAvoidance)));
        Exploration.Validate(problems.Section(nameof(Exploration)));
    }
}
