using Nimmerverse.Actors.Governor;
using Nimmerverse.Protocol;

namespace Nimmerverse.Supervisor.Configuration;

/// <summary>Section <c>Nimmerverse:Governor</c>: the thalamus governor (README, "The governor").</summary>
public sealed class GovernorOptions : IOptionsSection
{
    /// <summary>How often it decides. Default 1 s.</summary>
    public TimeSpan Epoch { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary><c>learned</c> (its network, learning online) or <c>equal-share</c> (the fixed baseline). Default learned.</summary>
    public string Policy { get; init; } = GovernorSettings.Learned;

    /// <summary>The sum of CPU quotas one host may hand out, in percent of a core. Default: 75 % of the host's cores.</summary>
    public double HostCpuBudgetPercent { get; init; } = 75.0 * System.Environment.ProcessorCount;

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

    /// <summary>The learned policy's step size. Default 0.001.</summary>
    public double LearningRate { get; init; } = 0.001;

    /// <summary>Seeds the network and its exploration. Default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Epochs between checkpoints of the learned weights. Default 60.</summary>
    public int CheckpointEvery { get; init; } = 60;

    public GovernorSettings ToSettings(int knownNpcIds, NpcOptions npc) => new(
        Epoch, Policy, HostCpuBudgetPercent, knownNpcIds, npc.TickRateHz, npc.MemoryMaxMiB * 1024L * 1024, npc.TasksMax, SilenceTimeout,
        MaxTickRateStep, MaxQuotaStep, GateHoldEpochs, Exploration, LearningRate, Seed, CheckpointEvery);

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

        if (CheckpointEvery < 1)
        {
            problems.Add("CheckpointEvery", $"{CheckpointEvery} must be at least 1");
        }
    }
}

/// <summary>Section <c>Nimmerverse:Trails</c>: how decision trails reach PostgreSQL.</summary>
public sealed class TrailsOptions : IOptionsSection
{
    /// <summary>The spool file that keeps trails while PostgreSQL is away; relative to the working directory (the unit's is /var/lib/nimmerverse). Default <c>trails.spool</c>.</summary>
    public string SpoolPath { get; init; } = "trails.spool";

    /// <summary>The spool's bound; past it trails are lost, counted and alarmed about. Default 256.</summary>
    public int SpoolMaxMiB { get; init; } = 256;

    /// <summary>Most trails per COPY. Default 5000.</summary>
    public int BatchSize { get; init; } = 5000;

    /// <summary>How long a short batch waits for more. Default 200 ms.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How often a waiting spool is tried against PostgreSQL. Default 2 s.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(2);

    public void Validate(OptionProblems problems)
    {
        if (string.IsNullOrWhiteSpace(SpoolPath))
        {
            problems.Add("SpoolPath", "must not be empty");
        }

        if (SpoolMaxMiB is < 1 or > 1_048_576)
        {
            problems.Add("SpoolMaxMiB", $"{SpoolMaxMiB} is outside 1..1048576");
        }

        if (BatchSize is < 1 or > 100_000)
        {
            problems.Add("BatchSize", $"{BatchSize} is outside 1..100000");
        }

        problems.Positive("FlushInterval", FlushInterval);
        problems.Positive("RetryInterval", RetryInterval);
    }
}
