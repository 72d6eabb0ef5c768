namespace Nimmerverse.Actors.Npc;

/// <summary>
/// A scope's limits. <see cref="CpuQuotaPercent"/> is of one core (25 = CPUQuota=25%, at most
/// 100 per core the host has); <see cref="MemoryMaxBytes"/> is MemoryMax=; <see cref="TasksMax"/> is TasksMax=.
/// </summary>
public sealed record ScopeLimits(double CpuQuotaPercent, long MemoryMaxBytes, long TasksMax)
{
    /// <summary>CPUQuotaPerSecUSec: microseconds of CPU per second of wall time.</summary>
    public ulong CpuQuotaPerSecUSec => (ulong)Math.Round(CpuQuotaPercent * 10_000);
}

/// <summary>A unit as systemd reports it: <c>ActiveState</c>, <c>SubState</c>, <c>Result</c> (<c>oom-kill</c>...) and its cgroup.</summary>
public sealed record ScopeStatus(NpcScopeName Unit, string ActiveState, string SubState, string Result, string ControlGroup);

/// <summary>
/// What the NPC host needs from systemd, with nothing but <see cref="NpcScopeName"/>s: scopes
/// for brain processes, their limits at runtime, their state, and the list of those still
/// running (re-adoption after a supervisor restart).
/// </summary>
public interface ISystemdScopes : IAsyncDisposable
{
    /// <summary>Wraps running processes in a new transient scope under <c>nimmerverse-npcs.slice</c>; returns when systemd's job finished (or throws with its result).</summary>
    Task StartScopeAsync(NpcScopeName unit, IReadOnlyList<int> pids, ScopeLimits limits, string description, CancellationToken cancellationToken);

    /// <summary>Changes a running scope's limits (SetUnitProperties, runtime only: a reboot forgets them with the scope).</summary>
    Task SetLimitsAsync(NpcScopeName unit, ScopeLimits limits, CancellationToken cancellationToken);

    /// <summary>The scope's state, or null when systemd does not know it (never started, or gone).</summary>
    Task<ScopeStatus?> GetStatusAsync(NpcScopeName unit, CancellationToken cancellationToken);

    /// <summary>Every active NPC scope (the brains an earlier supervisor left running).</summary>
    Task<IReadOnlyList<NpcScopeName>> ListScopesAsync(CancellationToken cancellationToken);

    /// <summary>The PIDs in a scope (a brain's scope holds the brain alone); empty when it is gone.</summary>
    Task<IReadOnlyList<int>> GetProcessesAsync(NpcScopeName unit, CancellationToken cancellationToken);

    /// <summary>
    /// Calls <paramref name="onActiveState"/> with the scope's new <c>ActiveState</c> each time systemd
    /// announces a change (<c>PropertiesChanged</c> on the unit's object), the last one being
    /// <c>inactive</c> or <c>failed</c> when its processes are gone. Dispose to stop watching.
    /// </summary>
    Task<IDisposable> WatchStateAsync(NpcScopeName unit, Action<string> onActiveState, CancellationToken cancellationToken);

    /// <summary>
    /// Calls <paramref name="onOomKill"/> when the kernel's OOM killer acts in the scope's memory
    /// cgroup. Needed on cgroup v1, where systemd never reports <c>Result=oom-kill</c>; on v2
    /// systemd does, and <see cref="ScopeStatus.Result"/> tells. Dispose to stop watching; the
    /// watch also ends by itself when the cgroup is removed.
    /// </summary>
    IDisposable WatchOomKills(ScopeStatus scope, Action onOomKill);

    /// <summary>Sends <paramref name="signal"/> to every process of the scope.</summary>
    Task KillAsync(NpcScopeName unit, int signal, CancellationToken cancellationToken);

    /// <summary>Stops the scope (its processes get SIGTERM, then SIGKILL) and waits for the job.</summary>
    Task StopAsync(NpcScopeName unit, CancellationToken cancellationToken);

    /// <summary>Forgets a failed scope's failure (so the name can be used again).</summary>
    Task ResetFailedAsync(NpcScopeName unit, CancellationToken cancellationToken);
}
