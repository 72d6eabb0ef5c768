namespace Nimmerverse.Actors.Governor;

/// <summary>The governor's settings; bound from <c>Nimmerverse:Governor</c>.</summary>
/// <param name="Epoch">How often it decides. Default 1 s.</param>
/// <param name="Policy"><c>learned</c> (its network, learning online) or <c>equal-share</c> (the fixed baseline).</param>
/// <param name="HostCpuBudgetPercent">The sum of CPU quotas one host may hand out, in percent of a core (200 = two cores).</param>
/// <param name="KnownNpcIds">NPC ids 0..KnownNpcIds-1 exist (the village's citizens); states of others are rejected.</param>
/// <param name="DefaultTickRateHz">The equal-share policy's tick rate (the NPCs' configured rate).</param>
/// <param name="MemoryMaxBytes">MemoryMax sent along with every quota change (the governor steers CPU only).</param>
/// <param name="TasksMax">TasksMax sent along with every quota change.</param>
/// <param name="SilenceTimeout">An NPC without a state for this long is absent: no decision, no trail.</param>
/// <param name="MaxTickRateStep">Most a tick rate may move in one epoch (Hz). Default 2.</param>
/// <param name="MaxQuotaStep">Most a CPU quota may move in one epoch (percentage points). Default 10.</param>
/// <param name="GateHoldEpochs">A gate stays as it is for at least this many epochs after a change. Default 5.</param>
/// <param name="Exploration">Standard deviation of the learned policy's exploration noise (on 0..1 outputs). Default 0.1.</param>
/// <param name="LearningRate">The learned policy's step size. Default 0.001.</param>
/// <param name="Seed">Seeds the network and the exploration: the same seed, the same decisions.</param>
/// <param name="CheckpointEvery">Epochs between checkpoints of the learned policy's weights. Default 60.</param>
public sealed record GovernorSettings(
    TimeSpan Epoch,
    string Policy,
    double HostCpuBudgetPercent,
    int KnownNpcIds,
    double DefaultTickRateHz,
    long MemoryMaxBytes,
    long TasksMax,
    TimeSpan SilenceTimeout,
    double MaxTickRateStep = 2,
    double MaxQuotaStep = 10,
    int GateHoldEpochs = 5,
    double Exploration = 0.1,
    double LearningRate = 0.001,
    int Seed = 1,
    int CheckpointEvery = 60)
{
    public const string Learned = "learned";
    public const string EqualShare = "equal-share";

    public static readonly IReadOnlyList<string> Policies = [Learned, EqualShare];

    /// <summary>A new policy as configured (each governor incarnation makes its own).</summary>
    public IGovernorPolicy NewPolicy() => Policy == EqualShare
        ? new EqualSharePolicy(DefaultTickRateHz)
        : new LearnedPolicy(Exploration, LearningRate, Seed);
}
