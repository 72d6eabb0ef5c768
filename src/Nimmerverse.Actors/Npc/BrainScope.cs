using Akka.Event;

namespace Nimmerverse.Actors.Npc;

/// <summary>A brain in its scope: the scope's status (null when it is already gone) and the watch on its state.</summary>
internal sealed record ScopeReady(BrainProcess Brain, ScopeStatus? Status, IDisposable StateWatch);

/// <summary>
/// One NPC's systemd scope, every call the NPC process actor makes to systemd in one place: a
/// stale scope cleared before a start, a new brain wrapped with its limits, an adopted brain's
/// limits applied again, limit changes, the OOM watch, and how a scope ended. Plain async code;
/// the actor pipes the results to itself.
/// </summary>
internal sealed class BrainScope(ISystemdScopes scopes, NpcScopeName unit, ILoggingAdapter log)
{
    public NpcScopeName Unit => unit;

    /// <summary>No scope of this NPC may still run (an earlier supervisor's), and a failed one is forgotten so its name is free.</summary>
    public async Task PrepareAsync(int npcId)
    {
        var status = await scopes.GetStatusAsync(unit, CancellationToken.None).ConfigureAwait(false);
        if (status is { ActiveState: "active" or "activating" or "deactivating" or "reloading" })
        {
            log.Warning("NPC {NpcId}'s brain still runs in {Unit} from an earlier supervisor; stopping it before starting a new one", npcId, unit.Value);
            await scopes.StopAsync(unit, CancellationToken.None).ConfigureAwait(false);
        }
        else if (status is not null)
        {
            await scopes.ResetFailedAsync(unit, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Wraps a new brain in its scope with <paramref name="limits"/>, then watches the scope.</summary>
    public async Task<ScopeReady> StartAsync(BrainProcess brain, ScopeLimits limits, string description, Action<string> onActiveState)
    {
        await scopes.StartScopeAsync(unit, [brain.Pid], limits, description, CancellationToken.None).ConfigureAwait(false);
        return await WatchAsync(brain, onActiveState).ConfigureAwait(false);
    }

    /// <summary>
    /// An adopted brain: the configured limits applied again (the governor's last ones died with the
    /// supervisor that set them), then the scope watched.
    /// </summary>
    public async Task<ScopeReady> ReattachAsync(BrainProcess brain, ScopeLimits limits, Action<string> onActiveState)
    {
        await scopes.SetLimitsAsync(unit, limits, CancellationToken.None).ConfigureAwait(false);
        return await WatchAsync(brain, onActiveState).ConfigureAwait(false);
    }

    public Task SetLimitsAsync(ScopeLimits limits) => scopes.SetLimitsAsync(unit, limits, CancellationToken.None);

    /// <summary>The kernel's OOM kills in the scope's memory cgroup (cgroup v1; on v2 <see cref="EndedByOomKillAsync"/> tells).</summary>
    public IDisposable WatchOomKills(ScopeStatus status, Action onOomKill) => scopes.WatchOomKills(status, onOomKill);

    /// <summary>
    /// After the brain ended: whether systemd saw an OOM kill (cgroup v2; on v1 the scope's watch
    /// tells); a failed scope is forgotten either way.
    /// </summary>
    public async Task<bool> EndedByOomKillAsync()
    {
        var status = await scopes.GetStatusAsync(unit, CancellationToken.None).ConfigureAwait(false);
        if (status is { ActiveState: "failed" })
        {
            await scopes.ResetFailedAsync(unit, CancellationToken.None).ConfigureAwait(false);
        }

        return status?.Result == "oom-kill";
    }

    /// <summary>The scope's status, and a watch on its state: systemd's word that it ended tells at once that an adopted brain is gone.</summary>
    private async Task<ScopeReady> WatchAsync(BrainProcess brain, Action<string> onActiveState)
    {
        var watch = await scopes.WatchStateAsync(unit, onActiveState, CancellationToken.None).ConfigureAwait(false);
        return new ScopeReady(brain, await scopes.GetStatusAsync(unit, CancellationToken.None).ConfigureAwait(false), watch);
    }
}
