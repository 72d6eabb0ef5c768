namespace Nimmerverse.Brains.Learning;

/// <summary>
/// How big a brain is. The role sets the policy network's hidden layers and the replay memory;
/// the governor and the supervisor's quotas size CPU and memory to match.
/// </summary>
public sealed record BrainRole(string Name, IReadOnlyList<int> HiddenLayers, int ReplayCapacity)
{
    public static readonly BrainRole Small = new("small", [64], 5_000);

    public static readonly BrainRole Medium = new("medium", [128, 128], 10_000);

    public static readonly BrainRole Large = new("large", [256, 256], 20_000);

    public static readonly IReadOnlyList<BrainRole> All = [Small, Medium, Large];

    /// <summary>The role of a name the brain's command line accepted (<see cref="Nimmerverse.Protocol.BrainCommandLine.Roles"/>).</summary>
    public static BrainRole Of(string name) =>
        All.FirstOrDefault(r => r.Name == name) ?? throw new ArgumentException($"'{name}' is not a brain role", nameof(name));
}
