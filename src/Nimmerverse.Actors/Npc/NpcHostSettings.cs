using System.Text.RegularExpressions;
using Nimmerverse.Actors.Configuration;
using Nimmerverse.Actors.Linux;
using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Npc;

/// <summary>How this host runs its NPC brains: section <c>Nimmerverse:Npc</c>.</summary>
public sealed partial record NpcHostSettings : IOptionsSection
{
    /// <summary>Each brain in a systemd scope with its limits.</summary>
    public const string SystemdBackend = "systemd";

    /// <summary>Plain child processes, limits not enforced.</summary>
    public const string NoBackend = "none";

    /// <summary>systemd when it is the init system and answers on the bus, else none.</summary>
    public const string AutoBackend = "auto";

    /// <summary>The backends <see cref="Backend"/> may name; the supervisor's NpcBackend acts on them.</summary>
    public static readonly IReadOnlyList<string> Backends = [AutoBackend, SystemdBackend, NoBackend];

    public static NpcHostSettings Default { get; } = new();

    /// <summary>
    /// The most brains this host runs, its share of the village (<c>World:Citizens</c> NPCs) in proportion to the
    /// others'; at most World:Citizens. Default 25 (the arena's citizens); 0 runs none.
    /// </summary>
    public int Population { get; init; } = 25;

    /// <summary>Each brain's tick rate at start, 1-20 Hz; the governor retunes it. Default 5.</summary>
    public double TickRateHz { get; init; } = TickRates.DefaultHz;

    /// <summary>
    /// Network size: small, medium or large for every brain, or a mix handed out by NPC id in turn
    /// (<c>small,medium,large</c>: NPC 0 small, 1 medium, 2 large, 3 small...), a village of unequal
    /// learners. Default medium.
    /// </summary>
    public string Role { get; init; } = BrainCommandLine.DefaultRole;

    /// <summary>The roles <see cref="Role"/> names, in the order they are handed out.</summary>
    public IReadOnlyList<string> Roles => Role.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>NPC <paramref name="npcId"/>'s network size.</summary>
    public string RoleOf(int npcId)
    {
        var roles = Roles;
        return roles[npcId % roles.Count];
    }

    /// <summary>What runs each brain's networks: lean (managed code, a fraction of the memory) or torch (LibTorch). Default lean.</summary>
    public string Engine { get; init; } = BrainCommandLine.DefaultEngine;

    /// <summary>A brain asks the cortex which way to go after this many failed errands in a row; 0: never. Default 5.</summary>
    public int AskCortexAfter { get; init; } = 5;

    /// <summary>The brain executable. Default <c>brain/nimmerverse-brain</c> beside the supervisor.</summary>
    public string BrainPath { get; init; } = Path.Combine(AppContext.BaseDirectory, "brain", "nimmerverse-brain");

    /// <summary>
    /// The user the brains run as, with no privilege left (no capabilities, <c>no_new_privs</c>): for
    /// example <c>nyx-nervous</c>, which <c>systemd/nimmerverse.sysusers</c> creates. Unset or empty: the
    /// supervisor's own user. Switching needs the supervisor to run as root.
    /// </summary>
    public string? User { get; init; }

    /// <summary>Wait before an exited brain is first started again; it doubles with each restart in the window. Default 1 s.</summary>
    public TimeSpan RestartDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Time a brain has after SIGTERM to hand over its checkpoint, before SIGKILL. Default 10 s.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Brains start one after another this far apart: each spends about 1.5 s of CPU loading LibTorch, and
    /// all at once they starve the host (and the checkpoint answers they wait for). Default 0.5 s.
    /// </summary>
    public TimeSpan SpawnInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary><c>auto</c> (the default), <c>systemd</c> or <c>none</c>: see <see cref="Backends"/>.</summary>
    public string Backend { get; init; } = AutoBackend;

    /// <summary>D-Bus address of systemd's bus, e.g. <c>unix:path=/run/dbus/system_bus_socket</c>. Default: the system bus.</summary>
    public string? SystemBus { get; init; }

    /// <summary>Each brain's CPUQuota, in percent of one core (5-100); where a brain starts, the governor retunes it. Default 25.</summary>
    public double CpuQuotaPercent { get; init; } = 25;

    /// <summary>Each brain's MemoryMax, in MiB. Default 256.</summary>
    public int MemoryMaxMiB { get; init; } = 256;

    /// <summary>Each brain's TasksMax. Default 64.</summary>
    public int TasksMax { get; init; } = 64;

    /// <summary>
    /// A new brain's CPUQuota until its first state (5-100; never below CpuQuotaPercent). Loading LibTorch
    /// costs about a second of CPU, which at 25 % takes four. Default 100.
    /// </summary>
    public double StartupCpuQuotaPercent { get; init; } = 100;

    /// <summary>The longest wait between restarts (the delay doubles from RestartDelay). Default 30 s.</summary>
    public TimeSpan MaxRestartDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Restarts allowed within RestartWindow; one more and the brain is given up. Default 5.</summary>
    public int MaxRestarts { get; init; } = 5;

    /// <summary>The window of the restart intensity. Default 60 s.</summary>
    public TimeSpan RestartWindow { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A running brain that has published no state for this long is killed and restarted. Default 10 s.</summary>
    public TimeSpan HeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A brain stops itself when its supervisor has not renewed its lease for this long (its supervisor died or was
    /// cut off from the cluster's majority, or the brain lost the bus), so that its NPC never runs on two hosts. At most
    /// Akka:StableAfter (checked at start), longer than a supervisor's restart (which adopts the
    /// brain and renews it at once). Default 20 s; 0: no lease.
    /// </summary>
    public TimeSpan LeaseTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How long an NPC stays in the village before it leaves and a newcomer takes its place, learning from
    /// nothing: each brain is retired after between half and one and a half times this (drawn per NPC and start,
    /// so a village's ages spread out), then a fresh brain starts under the same id (<c>--start fresh</c>).
    /// Default 0: NPCs never leave.
    /// </summary>
    public TimeSpan Lifetime { get; init; } = TimeSpan.Zero;

    /// <summary>Time a new brain has for its first state (LibTorch, its checkpoint). Default 90 s.</summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>Each brain's scope limits (enforced where systemd runs the brains).</summary>
    public ScopeLimits Limits => new(CpuQuotaPercent, MemoryMaxMiB * 1024L * 1024, TasksMax);

    /// <summary>The scope limits a new brain starts with: its own, with the start-up CPU quota if that is higher (until its first state).</summary>
    public ScopeLimits StartupLimits(ScopeLimits limits) =>
        limits with { CpuQuotaPercent = Math.Max(limits.CpuQuotaPercent, StartupCpuQuotaPercent) };

    /// <summary>The user of <see cref="User"/> as the system knows it; null when unset (or when there is no such user: see the installation check).</summary>
    public UnixUser? BrainUser() => string.IsNullOrEmpty(User) ? null : UnixUser.Find(User);

    public RestartPolicy NewRestartPolicy(Random random) => new(RestartDelay, MaxRestartDelay, MaxRestarts, RestartWindow, random);

    /// <summary>
    /// The brain's command line: <c>--id 7 --tick-rate 5 --env dev --nats URL --role medium --lease 15</c>, and
    /// <c>--parent PID</c> when no systemd keeps its scope for a successor: an orphan would run on
    /// unsupervised, and the next supervisor would start a twin.
    /// </summary>
    public IReadOnlyList<string> ArgumentsFor(int npcId, string natsUrl, string environment, bool adoptable, bool fresh = false) =>
        (BrainCommandLine.For(npcId, TickRateHz, environment, new Uri(natsUrl), RoleOf(npcId), adoptable ? null : System.Environment.ProcessId, AskCortexAfter, LeaseTimeout > TimeSpan.Zero ? LeaseTimeout : null) with { Engine = Engine, Fresh = fresh }).ToArguments();

    public void Validate(OptionProblems problems)
    {
        if (AskCortexAfter is < 0 or > BrainCommandLine.MaxAskCortexAfter)
        {
            problems.Add("AskCortexAfter", $"{AskCortexAfter} is outside 0..{BrainCommandLine.MaxAskCortexAfter}");
        }

        if (!TickRates.IsValid(TickRateHz))
        {
            problems.Add("TickRateHz", $"{TickRateHz} is outside {TickRates.MinHz}..{TickRates.MaxHz} Hz");
        }

        if (Roles.Count == 0 || Roles.Any(role => !BrainCommandLine.Roles.Contains(role)))
        {
            problems.Add("Role", $"'{Role}' is not one of {string.Join(", ", BrainCommandLine.Roles)} or a comma-separated mix of them");
        }

        if (!BrainCommandLine.Engines.Contains(Engine))
        {
            problems.Add("Engine", $"'{Engine}' is not one of {string.Join(", ", BrainCommandLine.Engines)}");
        }

        if (!Path.IsPathFullyQualified(BrainPath))
        {
            problems.Add("BrainPath", $"'{BrainPath}' is not an absolute path");
        }

        if (!string.IsNullOrEmpty(User) && !UnixUser.IsName(User))
        {
            problems.Add("User", $"'{User}' is not a user name (lower-case letters, digits, '_' and '-', at most 32)");
        }

        problems.NotNegative("RestartDelay", RestartDelay);
        problems.NotNegative("Lifetime", Lifetime);
        problems.Positive("StopTimeout", StopTimeout);
        if (!Backends.Contains(Backend))
        {
            problems.Add("Backend", $"'{Backend}' is not one of {string.Join(", ", Backends)}");
        }

        if (SystemBus is { } bus && !bus.StartsWith("unix:", StringComparison.Ordinal) && !bus.StartsWith("tcp:", StringComparison.Ordinal))
        {
            problems.Add("SystemBus", $"'{bus}' is not a D-Bus address such as unix:path=/run/dbus/system_bus_socket");
        }

        foreach (var (key, quota) in new[] { ("CpuQuotaPercent", CpuQuotaPercent), ("StartupCpuQuotaPercent", StartupCpuQuotaPercent) })
        {
            if (!CpuQuotas.IsValid(quota))
            {
                problems.Add(key, $"{quota} is outside {CpuQuotas.MinPercent}..{CpuQuotas.MaxPercent} (percent of one core)");
            }
        }

        if (MemoryMaxMiB is < 32 or > 65536)
        {
            problems.Add("MemoryMaxMiB", $"{MemoryMaxMiB} is outside 32..65536 MiB");
        }

        if (TasksMax is < 8 or > 4096)
        {
            problems.Add("TasksMax", $"{TasksMax} is outside 8..4096");
        }

        if (MaxRestartDelay < RestartDelay)
        {
            problems.Add("MaxRestartDelay", $"{MaxRestartDelay} is shorter than RestartDelay ({RestartDelay})");
        }

        if (MaxRestarts < 0)
        {
            problems.Add("MaxRestarts", $"{MaxRestarts} must not be negative");
        }

        problems.Positive("RestartWindow", RestartWindow);
        if (HeartbeatTimeout < TimeSpan.FromSeconds(1))
        {
            problems.Add("HeartbeatTimeout", $"{HeartbeatTimeout} is shorter than a second (a brain ticks at 1 Hz at the slowest)");
        }

        if (StartupTimeout < TimeSpan.FromSeconds(5))
        {
            problems.Add("StartupTimeout", $"{StartupTimeout} is shorter than 5 s (a brain needs about one to load LibTorch, more on a busy host)");
        }

        problems.NotNegative("SpawnInterval", SpawnInterval);
        if (LeaseTimeout != TimeSpan.Zero && (LeaseTimeout.TotalSeconds < BrainCommandLine.MinLeaseSeconds || LeaseTimeout.TotalSeconds > BrainCommandLine.MaxLeaseSeconds))
        {
            problems.Add("LeaseTimeout", $"{LeaseTimeout} is outside {BrainCommandLine.MinLeaseSeconds}..{BrainCommandLine.MaxLeaseSeconds} s (0: no lease)");
        }
    }

}
