using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Governor;

/// <summary>
/// One governor decision about one NPC in one epoch: what it saw, what it decided, and how
/// long that took. The lab's training data, kept in PostgreSQL (<c>decision_trails</c>) exactly
/// once per <see cref="MessageId"/>.
/// </summary>
/// <param name="MessageId">The decision's identity; a record written twice is stored once.</param>
/// <param name="Epoch">The governor's epoch counter.</param>
/// <param name="NpcId">The NPC decided about.</param>
/// <param name="Host">The host the NPC runs on.</param>
/// <param name="Policy">Which policy decided (<see cref="GovernorSettings.Policies"/>).</param>
/// <param name="DecidedAt">When the decision was made (UTC).</param>
/// <param name="Inputs">The NPC's feature vector as the network saw it.</param>
/// <param name="Output">The allocation after clamping, rate limiting and capacity fitting.</param>
/// <param name="Reward">The village's learning progress per CPU-second over the epoch that ended with this decision (the outcome of the one before; <see cref="EpochYield.Ratio"/>).</param>
/// <param name="LatencyMs">Time from the epoch's start to this decision (features, forward pass, planning).</param>
/// <param name="Outcome">What this NPC's previous decision yielded over the epoch that ended (<see cref="GovernorObjective"/>); null at its first epoch, or that of a new brain process.</param>
/// <param name="Price">What a CPU-second had to buy when the policy decided (<see cref="IGovernorPolicy.Price"/>); null for a policy that prices nothing.</param>
public sealed record DecisionTrail(
    Guid MessageId,
    long Epoch,
    int NpcId,
    string Host,
    string Policy,
    DateTimeOffset DecidedAt,
    float[] Inputs,
    NpcAllocation Output,
    double Reward,
    double LatencyMs,
    NpcYield? Outcome = null,
    double? Price = null)
{
    /// <summary>Equal by value, the inputs included (records compare arrays by reference).</summary>
    public bool SameAs(DecisionTrail other) =>
        this with { Inputs = [] } == other with { Inputs = [] } && Inputs.AsSpan().SequenceEqual(other.Inputs);
}

/// <summary>Where decision trails are stored: a batch at a time, each record once however often it is written.</summary>
public interface IDecisionTrailStore
{
    /// <summary>Stores the batch; records already stored (same message id) are skipped. Returns how many were new.</summary>
    Task<int> WriteAsync(IReadOnlyList<DecisionTrail> batch, CancellationToken cancellationToken);
}

/// <summary>What the governor hands its decisions to: never blocks, never throws; the recorder batches, stores, and spools while the database is away.</summary>
public interface IDecisionTrails
{
    void Record(DecisionTrail trail);
}

/// <summary>The learned governor's weights, kept across restarts (PostgreSQL <c>governor_checkpoints</c>).</summary>
public interface IGovernorCheckpoints
{
    Task SaveAsync(Guid messageId, long epoch, string policy, byte[] weights, CancellationToken cancellationToken);

    /// <summary>The newest weights of <paramref name="policy"/>, or null.</summary>
    Task<(long Epoch, byte[] Weights)?> LatestAsync(string policy, CancellationToken cancellationToken);
}
