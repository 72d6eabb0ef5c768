using Nimmerverse.Actors.Telemetry;
using Akka.Actor;
using Akka.Event;
using Nimmerverse.Actors.Logging;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Protocol;
using static Nimmerverse.Actors.Npc.NpcHostMessages;

namespace Nimmerverse.Actors.Npc;

/// <summary>The brain's scope as the actor sees it: ready, changed, failed; its limits and the start-up quota.</summary>
public sealed partial class NpcProcessActor
{
    private Action<string> StateWatcher(BrainProcess brain)
    {
        var self = Self;
        return state => self.Tell(new ScopeStateChanged(brain, state));
    }

    /// <summary>The brain is in its scope with its limits: from now on it may outlive this actor, and its OOM kills are watched.</summary>
    private void OnScopeReady(ScopeReady ready)
    {
        if (!ReferenceEquals(ready.Brain, _brain) || ready.Status is not { } status)
        {
            ready.StateWatch.Dispose();
            return; // that brain is gone already; its exit has been handled
        }

        _stateWatch?.Dispose();
        (_stateWatch, _scoped) = (ready.StateWatch, true);
        _log.Info("NPC {NpcId} (PID {Pid}) runs in {Unit}: CPUQuota={CpuQuota}%, MemoryMax={MemoryMax}", _npcId, ready.Brain.Pid, Unit, _limits.CpuQuotaPercent, _limits.MemoryMaxBytes);
        if (_lastStateAt is not null)
        {
            EndStartupQuota(); // its first state came before systemd's answer
        }

        _oomWatch?.Dispose();
        try
        {
            var (self, pid, memoryMax) = (Self, ready.Brain.Pid, _limits.MemoryMaxBytes);
            _oomWatch = _scope!.WatchOomKills(status, () => self.Tell(new Oom(pid, $"the kernel's OOM killer acted in {status.ControlGroup} (MemoryMax={memoryMax})")));
        }
        catch (Exception e)
        {
            _log.Warning("Cannot watch {Unit} for OOM kills ({Error}); one will show as SIGKILL", Unit, e.Message);
        }
    }

    /// <summary>systemd says the scope ended: an adopted brain, which sends no exit event, is gone.</summary>
    private void OnScopeStateChanged(ScopeStateChanged changed)
    {
        if (changed.ActiveState is "inactive" or "failed" && ReferenceEquals(changed.Brain, _brain))
        {
            NoticeAdoptedExit();
        }
    }

    private void OnScopeFailed(ScopeFailed failed)
    {
        _log.Error("NPC {NpcId}'s scope {Unit} could not be made: {Error}; the brain must not run without its limits", _npcId, Unit, failed.Error.GetBaseException().Message);
        if (ReferenceEquals(failed.Brain, _brain))
        {
            Kill(); // its exit schedules the restart
        }
    }

    private void OnState(NpcStateBody state)
    {
        NoteViolations(state.PermissionViolations);
        OrganismMetrics.NpcState(state, _hostName);
        var first = _lastStateAt is null;
        _lastStateAt = _clock.GetUtcNow();
        if (first && _scoped)
        {
            EndStartupQuota();
        }
    }

    /// <summary>What the server refused the brain's credentials since its last state: counted by the bridge, logged here.</summary>
    private void NoteViolations(long violations)
    {
        var before = _violationsReported ?? violations;
        _violationsReported = violations;
        if (violations > before)
        {
            Context.System.EventStream.Publish(new NatsBridgeMessages.NpcPermissionViolations(_npcId, violations - before));
            _violationsLog ??= new RateLimitedLog(_log, TimeSpan.FromMinutes(1), _clock);
            _violationsLog.Warning("violations", "The NATS server refused NPC {NpcId}'s brain publishes or subscriptions outside its permissions ({Total} since it started)", _npcId, violations);
        }
    }

    /// <summary>The brain is up: from now on it has its own CPU quota, not the start-up one.</summary>
    private void EndStartupQuota()
    {
        if (!_startupQuota || _scope is not { } scope)
        {
            return;
        }

        _startupQuota = false;
        var (log, unit, limits) = (_log, Unit, _limits);
        scope.SetLimitsAsync(limits).ContinueWith(
            t => log.Warning("Could not give {Unit} its CPU quota of {CpuQuota}% after start-up: {Error}", unit, limits.CpuQuotaPercent, t.Exception?.GetBaseException().Message),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    /// <summary>An adopted brain is not our child and sends no exit event: its pidfd tells.</summary>
    private bool NoticeAdoptedExit()
    {
        if (_brain is AdoptedBrain { HasExited: true } adopted)
        {
            Self.Tell(new Exited(adopted));
            return true;
        }

        return false;
    }

    private void ApplyLimits(SetLimits set)
    {
        // Kept for the next start either way, so a restarted brain keeps what the governor gave it.
        (_limits, _startupQuota) = (set.Limits, false); // what is applied now replaces the start-up quota
        OrganismMetrics.NpcQuota(_npcId, _hostName, set.Limits.CpuQuotaPercent);
        if (_scope is not { } scope)
        {
            Sender.Tell(new LimitsSet(_npcId, false, "the NPC backend is none: limits are not enforced on this host"));
        }
        else if (_brain is null)
        {
            Sender.Tell(new LimitsSet(_npcId, false, "the brain is not running; the limits apply from its next start"));
        }
        else
        {
            var npcId = _npcId;
            scope.SetLimitsAsync(set.Limits).PipeTo(Sender, success: () => new LimitsSet(npcId, true), failure: e => new LimitsSet(npcId, false, e.GetBaseException().Message));
        }
    }
}
