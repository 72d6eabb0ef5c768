using Nimmerverse.Actors.Telemetry;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Event;
using Nimmerverse.Protocol;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;
using static Nimmerverse.Actors.Npc.NpcHostMessages;

namespace Nimmerverse.Actors.Npc;

/// <summary>The brain's life as the actor drives it: start, adoption, heartbeat, exit, restart, stop.</summary>
public sealed partial class NpcProcessActor
{
    private void Prepare()
    {
        if (_scope is not { } scope)
        {
            Launch();
            return;
        }

        scope.PrepareAsync(_npcId).PipeTo(Self, success: () => ScopePrepared.Instance, failure: e => new ScopeFailed(null, e));
        BecomeState(Preparing);
    }

    private void Launch()
    {
        BrainProcess brain;
        try
        {
            var self = Self;
            brain = _launcher.Start(_settings.BrainPath, _newcomer ? _newcomerArguments : _arguments, b => self.Tell(new Exited(b)));
        }
        catch (Exception e)
        {
            _log.Error("Cannot start the brain of NPC {NpcId} from {BrainPath}: {Error}", _npcId, _settings.BrainPath, e.Message);
            ScheduleRestart($"cannot start: {e.Message}");
            return;
        }

        Began(brain);
        _log.Info("Started the brain of NPC {NpcId} as PID {Pid} (start {Starts})", _npcId, brain.Pid, _starts);
        Publish(_starts == 1 || _newcomer ? "spawned" : "restarted", pid: brain.Pid, detail: _newcomer ? "a newcomer, in the place of one that retired" : null);
        _newcomer = false;
        if (_scope is { } scope)
        {
            // Loading LibTorch is a second of CPU: the brain gets the start-up quota until its first state.
            var limits = _settings.StartupLimits(_limits);
            _startupQuota = limits != _limits;
            scope.StartAsync(brain, limits, $"Nimmerverse NPC {_npcId} brain", StateWatcher(brain)).PipeTo(Self, failure: e => new ScopeFailed(brain, e));
        }

        BecomeState(Running);
    }

    private void Adopt(int pid)
    {
        if (_launcher.Adopt(pid) is not { } brain)
        {
            _log.Warning("NPC {NpcId}'s brain (PID {Pid}) ended before it could be adopted; starting a new one", _npcId, pid);
            Prepare();
            return;
        }

        Began(brain);
        _scoped = true;
        _log.Info("Adopted the brain of NPC {NpcId} (PID {Pid}) running in {Unit}", _npcId, pid, Unit);
        Publish("adopted", pid: pid, detail: $"found running in {Unit}");
        Self.Tell(RenewLease.Instance); // its lease ran on while no supervisor renewed it
        _scope!.ReattachAsync(brain, _limits, StateWatcher(brain)).PipeTo(Self, failure: e => new ScopeFailed(brain, e));
        BecomeState(Running);
    }

    private void Began(BrainProcess brain)
    {
        (_brain, _scoped, _starts) = (brain, false, _starts + 1);
        // The stall check counts from the start: a supervisor stopped before this brain's first heartbeat
        // check must still notice on waking that the silence was its own (a native brain's first state
        // comes within milliseconds, so a stall can begin that early).
        (_startedAt, _lastStateAt, _killedBecause, _lastCheck) = (_clock.GetUtcNow(), null, null, _clock.GetTimestamp());
        // An adopted brain has counted since its own start: its first state sets the baseline.
        _violationsReported = brain.IsAdopted ? null : 0;
        if (_settings.Lifetime > TimeSpan.Zero)
        {
            Timers.StartSingleTimer("retire", Retire.Instance, _settings.Lifetime * (0.5 + _lifetimes.NextDouble()));
        }
    }

    /// <summary>Kills a brain that fell silent: no first state within the start-up time, or none for the heartbeat timeout since.</summary>
    private void CheckHeartbeatNow()
    {
        if (NoticeAdoptedExit() || _brain is not { HasExited: false } brain || _killedBecause is not null)
        {
            return;
        }

        var now = _clock.GetUtcNow();
        var checkedAt = _clock.GetTimestamp();
        var sinceLastCheck = _clock.GetElapsedTime(_lastCheck, checkedAt);
        _lastCheck = checkedAt;
        if (sinceLastCheck > OwnStallAfter)
        {
            _judgeFrom = now;
            _log.Info("This supervisor was stalled for {Stall}; NPC {NpcId}'s silence is judged from now, not held against its brain", sinceLastCheck, _npcId);
            return;
        }

        if (!_busOpen)
        {
            return; // no state could arrive
        }

        var (last, allowed) = _lastStateAt is { } state ? (state, _settings.HeartbeatTimeout) : (_startedAt, _settings.StartupTimeout);
        var since = last > _judgeFrom ? last : _judgeFrom;
        var silence = now - since;
        if (silence <= allowed)
        {
            return;
        }

        _killedBecause = _lastStateAt is null ? $"no first state within {allowed}" : $"no state for {silence:g} (heartbeat timeout {allowed})";
        _log.Warning("Killing the brain of NPC {NpcId} (PID {Pid}): {Reason}", _npcId, brain.Pid, _killedBecause);
        brain.Signal(BrainProcess.SigKill);
    }

    /// <summary>The brain of this state ended: its <c>exited</c> event, and whether the kernel's OOM killer did it. Returns why, for the log.</summary>
    private string Ended(Exited exited)
    {
        var (pid, exitCode, adopted) = (exited.Brain.Pid, exited.Brain.ExitCode, exited.Brain.IsAdopted);
        (_brain, _scoped) = (null, false);
        _stateWatch?.Dispose();
        _stateWatch = null;
        exited.Brain.Dispose();
        int? signal = exitCode is > 128 and <= 128 + 64 ? exitCode - 128 : null; // .NET reports a death by signal N as 128 + N
        var detail = adopted ? JoinDetail(_killedBecause, "adopted: its exit status went to systemd, not to this supervisor") : _killedBecause;
        Publish("exited", pid: pid, exitCode: signal is null ? exitCode : null, signal: signal, detail: detail);
        if (_scope is { } scope)
        {
            var (self, log, unit) = (Self, _log, Unit);
            scope.EndedByOomKillAsync().ContinueWith(t =>
            {
                if (t.IsFaulted)
                {
                    log.Warning("Could not read how {Unit} ended: {Error}", unit, t.Exception?.GetBaseException().Message);
                }
                else if (t.Result)
                {
                    self.Tell(new Oom(pid, $"{unit} ended with Result=oom-kill"));
                }
            }, TaskScheduler.Default);
        }

        return signal is { } s ? $"killed by signal {s}" : exitCode is { } code ? $"exit code {code}" : "ended (adopted)";
    }

    private static string JoinDetail(string? first, string second) => first is null ? second : $"{first}; {second}";

    private void ScheduleRestart(string why)
    {
        if (_restarts.NextDelay(_clock.GetUtcNow()) is { } delay)
        {
            _log.Warning("The brain of NPC {NpcId} is down ({Reason}); starting it again in {RestartDelay} (restart {Restarts} within {RestartWindow})", _npcId, why, delay, _restarts.RecentRestarts, _settings.RestartWindow);
            OrganismMetrics.NpcRestarted(_npcId, _hostName);
            Timers.StartSingleTimer("restart", Start.Instance, delay);
            BecomeState(Backoff);
            return;
        }

        var detail = $"more than {_settings.MaxRestarts} restarts within {_settings.RestartWindow}; last: {why}";
        _log.Error("Gave up the brain of NPC {NpcId}: {Reason}", _npcId, detail);
        Publish("gave-up", detail: detail);
        BecomeState(GivenUp);
    }

    /// <summary>Its lifetime is over: stopped like any brain (with a last checkpoint, kept for the record), then a newcomer starts.</summary>
    private void BeginRetire()
    {
        _log.Info("NPC {NpcId} leaves the village after {Age}: a newcomer takes its place, learning from nothing", _npcId, _clock.GetUtcNow() - _startedAt);
        Publish("retired", pid: _brain!.Pid, detail: $"after {(_clock.GetUtcNow() - _startedAt).TotalSeconds:F0} s");
        Terminate(Retiring);
    }

    /// <summary>SIGTERM: the brain checkpoints, then exits 0; SIGKILL if it has not after the stop timeout.</summary>
    private void BeginStop()
    {
        _stopRequesters.Add(Sender);
        Terminate(Stopping);
    }

    /// <summary>SIGTERM to the brain, SIGKILL after the stop timeout, and <paramref name="next"/> until it is gone.</summary>
    private void Terminate(Action next)
    {
        if (!_brain!.Signal(BrainProcess.SigTerm))
        {
            _log.Warning("SIGTERM to the brain of NPC {NpcId} (PID {Pid}) failed: errno {Errno}", _npcId, _brain.Pid, Marshal.GetLastPInvokeError());
        }

        Timers.StartSingleTimer("kill", KillNow.Instance, _settings.StopTimeout);
        BecomeState(next);
    }

    /// <summary>
    /// The supervisor is being restarted by systemd: the brain stays in its scope for the next one to adopt,
    /// after a checkpoint so that nothing learnt since the last one is at risk. One without a scope is stopped.
    /// </summary>
    private void Detach()
    {
        if (!_scoped || _brain is not { HasExited: false } brain)
        {
            BeginStop();
            return;
        }

        Command(new NpcCommandBody("checkpoint"));
        _log.Info("Leaving the brain of NPC {NpcId} (PID {Pid}) running in {Unit} for the next supervisor", _npcId, brain.Pid, Unit);
        Sender.Tell(new Stopped(_npcId));
        BecomeState(Detached);
    }

    private void Kill()
    {
        if (_brain is { HasExited: false } brain)
        {
            _log.Warning("Killing the brain of NPC {NpcId} (PID {Pid})", _npcId, brain.Pid);
            brain.Signal(BrainProcess.SigKill);
        }
    }

    /// <summary>A command to the brain on <c>{env}.npc.{id}.command</c>.</summary>
    private void Command(NpcCommandBody command) => _bridge.Tell(new Publish<NpcCommandBody>(_commands, Envelopes.Of(_source, command)));

    private void Publish(string lifecycleEvent, int? pid = null, int? exitCode = null, int? signal = null, string? detail = null) =>
        _bridge.Tell(new Publish<NpcLifecycleBody>(_events, Envelopes.Of(_source,
            new NpcLifecycleBody(_npcId, lifecycleEvent, pid, exitCode, signal, _restarts.RecentRestarts, _scope is null ? null : Unit, detail?.ReplaceLineEndings(" ")))));
}
