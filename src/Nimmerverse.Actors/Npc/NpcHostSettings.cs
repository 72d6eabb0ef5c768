using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Npc;

/// <summary>How this host runs its NPC population; bound from <c>Nimmerverse:Npc</c>.</summary>
/// <param name="BrainPath">The <c>nimmerverse-brain</c> executable.</param>
/// <param name="Population">Brains this host runs, ids 0..Population-1. Default 25 (the arena's citizens).</param>
/// <param name="TickRateHz">Each brain's tick rate at start (1-20). Default 5.</param>
/// <param name="Role">Network size: small, medium or large. Default medium.</param>
/// <param name="NatsUrl">The NATS server the brains connect to (the supervisor's own).</param>
/// <param name="Environment">Subject environment of the brains (the supervisor's own).</param>
/// <param name="RestartDelay">Wait before a brain that exited is first started again; it doubles with each further restart in the window. Default 1 s.</param>
/// <param name="StopTimeout">After SIGTERM, time a brain has to hand over its checkpoint before SIGKILL. Default 10 s.</param>
/// <param name="MaxRestartDelay">The longest wait between restarts. Default 30 s.</param>
/// <param name="MaxRestarts">Restarts allowed within <paramref name="RestartWindow"/>; one more and the host gives the brain up. Default 5.</param>
/// <param name="RestartWindow">The window of the restart intensity. Default 60 s.</param>
/// <param name="Limits">Each brain's CPU quota, MemoryMax and TasksMax in its systemd scope. Default 25 %, 256 MiB, 64.</param>
/// <param name="HeartbeatTimeout">A running brain silent (no <c>npc_state</c>) this long is killed and restarted. Default 10 s.</param>
/// <param name="StartupTimeout">Time a new brain has for its first state. Default 90 s.</param>
/// <param name="StartupCpuQuotaPercent">A new brain's CPU quota until its first state (never below its own). Default 100.</param>
/// <param name="SpawnInterval">Brains are started one after another this far apart: each spends about 1.5 s of CPU
/// loading LibTorch, and all at once they starve the host (and the checkpoint answers they wait for). Default 0.5 s.</param>
public sealed record NpcHostSettings(
    string BrainPath,
    int Population,
    double TickRateHz,
    string Role,
    string NatsUrl,
    string Environment,
    TimeSpan RestartDelay,
    TimeSpan StopTimeout,
    TimeSpan SpawnInterval,
    TimeSpan MaxRestartDelay,
    int MaxRestarts,
    TimeSpan RestartWindow,
    ScopeLimits? Limits = null,
    TimeSpan? HeartbeatTimeout = null,
    TimeSpan? StartupTimeout = null,
    double? StartupCpuQuotaPercent = null)
{
    /// <summary>A brain that has published no state for this long is killed (and restarted with backoff). Default 10 s.</summary>
    public TimeSpan Heartbeat => HeartbeatTimeout ?? TimeSpan.FromSeconds(10);

    /// <summary>Time a new brain has for its first state (loading LibTorch, restoring its checkpoint). Default 90 s.</summary>
    public TimeSpan Startup => StartupTimeout ?? TimeSpan.FromSeconds(90);

    /// <summary>Each brain's scope limits (used where systemd runs the brains).</summary>
    public ScopeLimits ScopeLimits => Limits ?? ScopeLimits.Default;

    /// <summary>The scope limits a new brain starts with: its own, with the start-up CPU quota if that is higher (until its first state).</summary>
    public ScopeLimits StartupLimits(ScopeLimits limits) =>
        limits with { CpuQuotaPercent = Math.Max(limits.CpuQuotaPercent, StartupCpuQuotaPercent ?? DefaultStartupCpuQuotaPercent) };

    public const double DefaultStartupCpuQuotaPercent = 100;
    public const int DefaultPopulation = 25;
    public static readonly TimeSpan DefaultRestartDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultStopTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultSpawnInterval = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan DefaultMaxRestartDelay = TimeSpan.FromSeconds(30);
    public const int DefaultMaxRestarts = 5;
    public static readonly TimeSpan DefaultRestartWindow = TimeSpan.FromSeconds(60);

    public RestartPolicy NewRestartPolicy(Random random) => new(RestartDelay, MaxRestartDelay, MaxRestarts, RestartWindow, random);

    /// <summary>The brain's command line: <c>--id 7 --tick-rate 5 --env dev --nats URL --role medium</c>.</summary>
    public IReadOnlyList<string> ArgumentsFor(int npcId) =>
        BrainCommandLine.For(npcId, TickRateHz, Environment, new Uri(NatsUrl), Role).ToArguments();
}
