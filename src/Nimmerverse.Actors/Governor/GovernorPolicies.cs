using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Governor;

/// <summary>
/// What a policy decided, and what it needs to learn from that decision once its reward is known
/// (a learning policy's inputs and sampled actions; nothing for a fixed one). Disposed once learnt
/// from, or when it never will be: a record that holds native memory is disposed with it.
/// </summary>
public sealed class PolicyDecision(IReadOnlyList<NpcAllocation> allocations, object? memory = null) : IDisposable
{
    public IReadOnlyList<NpcAllocation> Allocations { get; } = allocations;

    /// <summary>The policy's own record of the decision, for its <see cref="IGovernorPolicy.Learn"/>.</summary>
    public object? Memory { get; } = memory;

    public void Dispose() => (Memory as IDisposable)?.Dispose();
}

/// <summary>
/// What decides the allocations: given the epoch's features, one wanted allocation per NPC; told what the epoch that
/// followed yielded. A fixed policy only decides: it learns nothing, keeps no weights and holds nothing to dispose.
/// </summary>
public interface IGovernorPolicy : IDisposable
{
    string Name { get; }

    /// <summary>
    /// One allocation per row of <paramref name="features"/>, for the NPCs in <paramref name="npcIds"/>
    /// (same order); <paramref name="fairSharePercent"/> is each one's equal share of its own host's
    /// CPU budget (hosts differ in how many NPCs they run).
    /// </summary>
    PolicyDecision Decide(IReadOnlyList<int> npcIds, float[][] features, IReadOnlyList<double> fairSharePercent);

    /// <summary>
    /// What the epoch that followed <paramref name="decision"/> yielded (<see cref="GovernorObjective"/>):
    /// the village's, and each NPC's own by id. The caller disposes the decision afterwards.
    /// </summary>
    void Learn(PolicyDecision decision, EpochYield outcome)
    {
    }

    /// <summary>
    /// What a CPU-second had to buy at its latest decision, in progress per CPU-second: what a learning policy judges
    /// CPU at (its rewards are progress less price × CPU). Null for a policy that prices nothing.
    /// </summary>
    double? Price => null;

    /// <summary>A new brain process runs the NPC (spawned, restarted, adopted): what followed its old one's decisions says nothing of it.</summary>
    void Forget(int npcId)
    {
    }

    /// <summary>The policy's weights (null for one without any).</summary>
    byte[]? SaveWeights() => null;

    void LoadWeights(byte[] weights)
    {
    }

    void IDisposable.Dispose()
    {
    }
}

/// <summary>
/// The baseline: every NPC the same tick rate and an equal share of the host's budget, at middle priority, its
/// LLM gate closed (<c>equal-share</c>) or open (<c>open-gates</c>: the cortex serves whoever asks, first come,
/// first served).
/// </summary>
public sealed class EqualSharePolicy(double tickRateHz, bool gatesOpen = false) : IGovernorPolicy
{
    public string Name => gatesOpen ? GovernorSettings.OpenGates : GovernorSettings.EqualShare;

    public PolicyDecision Decide(IReadOnlyList<int> npcIds, float[][] features, IReadOnlyList<double> fairSharePercent) =>
        new([.. npcIds.Select((id, i) => new NpcAllocation(id, tickRateHz, CpuQuotas.Clamp(fairSharePercent[i]), gatesOpen, 5))]);
}
