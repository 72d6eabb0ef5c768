using Nimmerverse.Actors.Npc;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.NpcScopes;

namespace Nimmerverse.Supervisor.Configuration;

/// <summary>Section <c>Nimmerverse:Npc</c>: this host's NPC brains.</summary>
public sealed class NpcOptions : IOptionsSection
{
    /// <summary>Brains this host runs, ids 0..Population-1; at most World:Citizens. Default 25; 0 runs none.</summary>
    public int Population { get; init; } = NpcHostSettings.DefaultPopulation;

    /// <summary>Each brain's tick rate at start, 1-20 Hz. Default 5.</summary>
    public double TickRateHz { get; init; } = TickRates.DefaultHz;

    /// <summary>small, medium or large. Default medium.</summary>
    public string Role { get; init; } = BrainCommandLine.DefaultRole;

    /// <summary>The brain executable. Default <c>brain/nimmerverse-brain</c> beside the supervisor.</summary>
    public string BrainPath { get; init; } = Path.Combine(AppContext.BaseDirectory, "brain", "nimmerverse-brain");

    /// <summary>Wait before an exited brain is first started again; it doubles with each restart in the window. Default 1 s.</summary>
    public TimeSpan RestartDelay { get; init; } = NpcHostSettings.DefaultRestartDelay;

    /// <summary>Time a brain has after SIGTERM to hand over its checkpoint. Default 10 s.</summary>
    public TimeSpan StopTimeout { get; init; } = NpcHostSettings.DefaultStopTimeout;

    /// <summary>Brains start one after another this far apart (each loads LibTorch for about 1.5 s of CPU). Default 0.5 s.</summary>
    public TimeSpan SpawnInterval { get; init; } = NpcHostSettings.DefaultSpawnInterval;

    /// <summary><c>auto</c> (the default: systemd when it is the init system and answers on the bus), <c>systemd</c> or <c>none</c> (no limits).</summary>
    public string Backend { get; init; } = "auto";

    /// <summary>D-Bus address of systemd's bus, e.g. <c>unix:path=/run/dbus/system_bus_socket</c>. Default: the system bus.</summary>
    public string? SystemBus { get; init; }

    /// <summary>Each brain's CPUQuota, in percent of one core (5-100). Default 25.</summary>
    public double CpuQuotaPercent { get; init; } = ScopeLimits.Default.CpuQuotaPercent;

    /// <summary>Each brain's MemoryMax, in MiB. Default 256.</summary>
    public int MemoryMaxMiB { get; init; } = (int)(ScopeLimits.Default.MemoryMaxBytes / (1024 * 1024));

    /// <summary>Each brain's TasksMax. Default 64.</summary>
    public int TasksMax { get; init; } = (int)ScopeLimits.Default.TasksMax;

    public ScopeLimits Limits => new(CpuQuotaPercent, MemoryMaxMiB * 1024L * 1024, TasksMax);

    /// <summary>
    /// A new brain's CPUQuota until its first state (5-100; never below CpuQuotaPercent). Loading
    /// LibTorch costs about a second of CPU, which at 25 % takes four. Default 100.
    /// </summary>
    public double StartupCpuQuotaPercent { get; init; } = NpcHostSettings.DefaultStartupCpuQuotaPercent;

    /// <summary>The longest wait between restarts (the delay doubles from RestartDelay). Default 30 s.</summary>
    public TimeSpan MaxRestartDelay { get; init; } = NpcHostSettings.DefaultMaxRestartDelay;

    /// <summary>Restarts allowed within RestartWindow before a brain is given up. Default 5.</summary>
    public int MaxRestarts { get; init; } = NpcHostSettings.DefaultMaxRestarts;

    /// <summary>The window of the restart intensity. Default 60 s.</summary>
    public TimeSpan RestartWindow { get; init; } = NpcHostSettings.DefaultRestartWindow;

    /// <summary>A running brain that has published no state for this long is killed and restarted. Default 10 s.</summary>
    public TimeSpan HeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Time a new brain has for its first state (LibTorch, its checkpoint). Default 90 s.</summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(90);

    public NpcHostSettings ToSettings(string natsUrl, string environment) =>
        new(BrainPath, Population, TickRateHz, Role, natsUrl, environment, RestartDelay, StopTimeout, SpawnInterval, MaxRestartDelay, MaxRestarts, RestartWindow, Limits, HeartbeatTimeout, StartupTimeout, StartupCpuQuotaPercent);

    public void Validate(OptionProblems problems)
    {
        if (!TickRates.IsValid(TickRateHz))
        {
            problems.Add("TickRateHz", $"{TickRateHz} is outside {TickRates.MinHz}..{TickRates.MaxHz} Hz");
        }

        if (!BrainCommandLine.Roles.Contains(Role))
        {
            problems.Add("Role", $"'{Role}' is not one of {string.Join(", ", BrainCommandLine.Roles)}");
        }

        if (!Path.IsPathFullyQualified(BrainPath))
        {
            problems.Add("BrainPath", $"'{BrainPath}' is not an absolute path");
        }

        problems.NotNegative("RestartDelay", RestartDelay);
        problems.Positive("StopTimeout", StopTimeout);
        if (!NpcBackend.Choices.Contains(Backend))
        {
            problems.Add("Backend", $"'{Backend}' is not one of {string.Join(", ", NpcBackend.Choices)}");
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
    }
}
