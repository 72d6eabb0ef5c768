using Nimmerverse.Actors.Configuration;
using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Governor;

/// <summary>The thalamus governor: section <c>Nimmerverse:Governor</c>.</summary>
public sealed record GovernorSettings : IOptionsSection
{
    public const string Learned = "learned";
    public const string EqualShare = "equal-share";
    public const string ProgressShare = "progress-share";
    public const string OpenGates = "open-gates";
    public const string QuizFirst = "quiz-first";
    public const string LearnersFirst = "learners-first";
    public const string ClassBandit = "class-bandit";

    public static readonly IReadOnlyList<string> Policies = [Learned, ClassBandit, EqualShare, OpenGates, ProgressShare, QuizFirst, LearnersFirst];

    public static GovernorSettings Default { get; } = new();

    /// <summary>How often it decides. Default 1 s.</summary>
    public TimeSpan Epoch { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary><c>learned</c> (its networks, learning online), <c>class-bandit</c> (a bandit per class of NPC, learning online), <c>equal-share</c> or <c>open-gates</c> (the fixed baselines, LLM gates closed or open), <c>progress-share</c>, <c>quiz-first</c> or <c>learners-first</c> (the hand-written ones). Default learned.</summary>
    public string Policy { get; init; } = Learned;

    /// <summary>The sum of CPU quotas one host may hand out, in percent of a core. Default: 75 % of the host's cores.</summary>
    public double HostCpuBudgetPercent { get; init; } = 75.0 * Environment.ProcessorCount;

    /// <summary>An NPC without a state for this long is absent. Default 5 s.</summary>
    public TimeSpan SilenceTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Most a tick rate moves per epoch, in Hz. Default 2.</summary>
    public double MaxTickRateStep { get; init; } = 2;

    /// <summary>Most a CPU quota moves per epoch, in percentage points. Default 10.</summary>
    public double MaxQuotaStep { get; init; } = 10;

    /// <summary>Epochs a gate holds after a change. Default 5.</summary>
    public int GateHoldEpochs { get; init; } = 5;

    /// <summary>Exploration noise of the learned policy (on 0..1 outputs). Default 0.1.</summary>
    public double Exploration { get; init; } = 0.1;

    /// <summary>The learned policy's step size. Default 0.003 (why: docs/learning.md, "How well it learns").</summary>
    public double LearningRate { get; init; } = 0.003;

    /// <summary>
    /// γ of the learned policy's credit: what a reward one epoch later is worth against one now, so
    /// about 1 / (1 - γ) epochs ahead count. Default <see cref="LearnedPolicy.DefaultDiscount"/> (docs/learning.md, "How well it learns").
    /// </summary>
    public double Discount { get; init; } = LearnedPolicy.DefaultDiscount;

    /// <summary>
    /// What a point of lifeforce gained net is worth in the objective, in levels (<see cref="GovernorObjective"/>).
    /// Default <see cref="GovernorObjective.DefaultLifeforceWeight"/>: a goal is worth a thousandth of a level, so a
    /// brain that has learnt all it can is still worth its CPU for the lifeforce it earns. 0 values learning alone.
    /// </summary>
    public double LifeforceWeight { get; init; } = GovernorObjective.DefaultLifeforceWeight;

    /// <summary>Seeds the learned network and its exploration, and the bandit's draws. Default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Epochs between checkpoints of the learned weights. Default 60.</summary>
    public int CheckpointEvery { get; init; } = 60;

    /// <summary>A fresh policy of the configured kind; the baselines steer around <paramref name="npcs"/>' start rate.</summary>
    public IGovernorPolicy NewPolicy(GovernedNpcs npcs) => Policy switch
    {
        EqualShare => new EqualSharePolicy(npcs.StartTickRateHz),
        OpenGates => new EqualSharePolicy(npcs.StartTickRateHz, gatesOpen: true),
        ProgressShare => new ProgressSharePolicy(npcs.StartTickRateHz),
        QuizFirst => new QuizFirstPolicy(npcs.StartTickRateHz),
        LearnersFirst => new LearnersFirstPolicy(npcs.StartTickRateHz),
        ClassBandit => new ClassBanditPolicy(Seed),
        _ => new LearnedPolicy(Exploration, LearningRate, Seed, discount: Discount, startRateHz: npcs.StartTickRateHz),
    };

    /// <summary>What the weights of <paramref name="policy"/> fit, as its checkpoints name it: a checkpoint of another format is left alone.</summary>
    public static string WeightsFormatOf(string policy) => policy == ClassBandit ? ClassBanditPolicy.WeightsFormat : LearnedPolicy.WeightsFormat;

    public void Validate(OptionProblems problems)
    {
        if (Epoch < TimeSpan.FromMilliseconds(100) || Epoch > TimeSpan.FromMinutes(10))
        {
            problems.Add("Epoch", $"{Epoch} is outside 00:00:00.1..00:10:00");
        }

        if (!GovernorSettings.Policies.Contains(Policy))
        {
            problems.Add("Policy", $"'{Policy}' is not one of {string.Join(", ", GovernorSettings.Policies)}");
        }

        if (!double.IsFinite(HostCpuBudgetPercent) || HostCpuBudgetPercent < CpuQuotas.MinPercent)
        {
            problems.Add("HostCpuBudgetPercent", $"{HostCpuBudgetPercent} is below {CpuQuotas.MinPercent} (one NPC's minimum quota)");
        }

        problems.Positive("SilenceTimeout", SilenceTimeout);
        foreach (var (key, step) in new[] { ("MaxTickRateStep", MaxTickRateStep), ("MaxQuotaStep", MaxQuotaStep) })
        {
            if (!double.IsFinite(step) || step <= 0)
            {
                problems.Add(key, $"{step} must be positive");
            }
        }

        if (GateHoldEpochs < 0)
        {
            problems.Add("GateHoldEpochs", $"{GateHoldEpochs} must not be negative");
        }

        if (!double.IsFinite(Exploration) || Exploration is < 0 or > 1)
        {
            problems.Add("Exploration", $"{Exploration} is outside 0..1");
        }

        if (!double.IsFinite(LearningRate) || LearningRate is <= 0 or > 1)
        {
            problems.Add("LearningRate", $"{LearningRate} is outside (0, 1]");
        }

        if (!double.IsFinite(Discount) || Discount is < 0 or >= 1)
        {
            problems.Add("Discount", $"{Discount} is outside [0, 1)");
        }

        if (!double.IsFinite(LifeforceWeight) || LifeforceWeight < 0)
        {
            problems.Add("LifeforceWeight", $"{LifeforceWeight} must be a finite number, 0 or more");
        }

        if (CheckpointEvery < 1)
        {
            problems.Add("CheckpointEvery", $"{CheckpointEvery} must be at least 1");
        }
    }
}

/// <summary>What the governor knows of the NPCs it steers, from the world's and the NPC hosts' sections.</summary>
/// <param name="Citizens">NPC ids 0..Citizens-1 exist (<c>World:Citizens</c>); states of others are rejected.</param>
/// <param name="StartTickRateHz">The brains' configured rate (<c>Npc:TickRateHz</c>), the baselines' rate.</param>
/// <param name="MemoryMaxBytes">MemoryMax sent along with every quota change (the governor steers CPU only).</param>
/// <param name="TasksMax">TasksMax sent along with every quota change.</param>
public sealed record GovernedNpcs(int Citizens, double StartTickRateHz, long MemoryMaxBytes, long TasksMax);
