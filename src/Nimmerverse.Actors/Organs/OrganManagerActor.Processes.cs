using System.Diagnostics;
using Akka.Actor;
using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Organs;

/// <summary>The organ processes: loading, serving, unloading, and what their deaths mean.</summary>
public sealed partial class OrganManagerActor
{
    private void StartLoad(string card, string organ, string? evicting)
    {
        OrganProcess? evicted = null;
        if (evicting is not null)
        {
            var old = _slots[evicting];
            evicted = old.Process;
            old.State = OrganState.Unloading;
            Publish(old, $"card {card} goes to {organ}");
        }

        var slot = _slots[organ];
        (slot.State, slot.Card, slot.LoadTime) = (OrganState.Loading, card, null);
        slot.LoadCancellation = new CancellationTokenSource();
        Publish(slot);
        var (self, settings, cancellation, contain, user) = (Self, _settings, slot.LoadCancellation.Token, _contain, _user);
        Task.Run(async () =>
        {
            if (evicted is not null)
            {
                await evicted.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                self.Tell(new UnloadEnded(evicting!, evicted, FreesCard: false)); // the card is already this load's
            }

            var started = Stopwatch.GetTimestamp();
            try
            {
                var process = await OrganProcess.StartAsync(
                    settings.Executable, organ, card, settings.LoadTimeout, cancellation, contain is null ? null : (pid, token) => contain(organ, pid, token), settings.ConfigFileOf(organ), user).ConfigureAwait(false);
                return new LoadEnded(organ, card, process, Stopwatch.GetElapsedTime(started), null);
            }
            catch (Exception e) when (e is OrganLoadFailedException or OperationCanceledException or System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                var cancelled = e is OperationCanceledException;
                return new LoadEnded(organ, card, null, Stopwatch.GetElapsedTime(started), cancelled ? "cancelled: every caller has gone" : e.Message, cancelled);
            }
        }).PipeTo(Self);
    }

    private void LoadEnd(LoadEnded ended)
    {
        var slot = _slots[ended.Organ];
        slot.LoadCancellation?.Dispose();
        slot.LoadCancellation = null;
        if (ended.Process is null)
        {
            _scheduler.Emptied(ended.Card);
            (slot.State, slot.Card, slot.Prewarmed) = (OrganState.Idle, null, false);
            Publish(slot, $"load failed: {ended.Problem}");
            if (!ended.Cancelled)
            {
                FailWaiting(ended.Organ, OrganReasons.LoadFailed, $"the {ended.Organ} organ could not be loaded: {ended.Problem}");
            }

            Pump();
            return;
        }

        (slot.Process, slot.State, slot.LoadTime, slot.LastHealthCheck) = (ended.Process, OrganState.Ready, ended.LoadTime, _clock.GetTimestamp());
        slot.LoadedAt = slot.LastReply = _clock.GetTimestamp();
        _scheduler.Loaded(ended.Card);
        var (self, process) = (Self, ended.Process);
        process.Exited.ContinueWith(exit => self.Tell(new OrganDied(ended.Organ, process, exit.Result)), TaskScheduler.Default);
        Publish(slot, $"loaded in {ended.LoadTime.TotalMilliseconds:F0} ms");
        Pump();
    }

    private void StartServe(string card, Guid callId)
    {
        var pending = _pending[callId];
        var slot = _slots[pending.Call.Organ];
        var process = slot.Process!;
        slot.State = OrganState.Processing;
        Publish(slot, quiet: true);
        var waited = _clock.GetElapsedTime(pending.Arrived);
        var loadTime = pending.Arrived < slot.LoadedAt ? slot.LoadTime : null;
        var timeout = _settings.ProcessingTimeout;
        Task.Run(async () =>
        {
            using var deadline = new CancellationTokenSource(timeout);
            var started = Stopwatch.GetTimestamp();
            try
            {
                var result = await pending.Call.Work(process.Client, deadline.Token).ConfigureAwait(false);
                return new CallServed(callId, card, process, result, null, waited, Stopwatch.GetElapsedTime(started), loadTime);
            }
            catch (Exception e)
            {
                return new CallServed(callId, card, process, null, e, waited, Stopwatch.GetElapsedTime(started), loadTime);
            }
        }).PipeTo(Self);
    }

    private void Served(CallServed served)
    {
        var pending = _pending[served.CallId];
        _pending.Remove(served.CallId);
        Timers.Cancel(served.CallId);
        var organ = pending.Call.Organ;
        var slot = _slots[organ];
        var reply = served.Problem switch
        {
            null => new OrganAnswered(served.CallId, organ, served.Result!, served.Waited, served.Worked, served.LoadTime, served.Card),
            OrganRefusedException refused => new OrganCallFailed(served.CallId, organ, OrganReasons.InputRefused, $"{refused.Code}: {refused.Message}"),
            OperationCanceledException => new OrganCallFailed(served.CallId, organ, OrganReasons.OrganFailed, $"the {organ} organ did not answer within {_settings.ProcessingTimeout.TotalSeconds:F0} s and is restarted"),
            _ => (object)new OrganCallFailed(served.CallId, organ, OrganReasons.OrganFailed, $"the {organ} organ failed: {served.Problem.GetBaseException().Message}"),
        };
        pending.ReplyTo.Tell(reply);
        if (slot.Process != served.Process)
        {
            return; // it died meanwhile: its card was emptied then
        }

        if (served.Problem is null or OrganRefusedException)
        {
            (slot.State, slot.LastReply, slot.Crashes) = (OrganState.Ready, _clock.GetTimestamp(), 0);
            _scheduler.Finished(served.Card);
            Publish(slot, quiet: true);
        }
        else
        {
            // Hung or broken: it is killed; its death (Died) empties the card and brings it back after a backoff.
            _ = served.Process.StopAsync(TimeSpan.Zero);
        }

        Pump();
    }

    private void Died(OrganDied died)
    {
        var slot = _slots[died.Organ];
        if (slot.Process != died.Process || slot.State == OrganState.Unloading)
        {
            return; // an evicted or unloaded process: its unloading accounts for it
        }

        var card = slot.Card!;
        slot.Crashes++;
        var backoff = TimeSpan.FromTicks(Math.Min(_settings.MaxRestartBackoff.Ticks, _settings.RestartBackoff.Ticks << Math.Min(slot.Crashes - 1, 20)));
        slot.BackoffUntil = _clock.GetUtcNow() + backoff;
        (slot.Process, slot.State, slot.Card, slot.Prewarmed) = (null, OrganState.Idle, null, false);
        _scheduler.Emptied(card);
        var why = slot.Unhealthy ? "failed its health check and was killed" : $"died (exit {died.ExitCode})";
        slot.Unhealthy = false;
        Publish(slot, $"process {died.Process.Pid} {why}; loaded again when needed, not before {backoff.TotalSeconds:F1} s");
        died.Process.Dispose();
        Timers.StartSingleTimer($"backoff-{died.Organ}", PumpNow.Instance, backoff);
    }

    private void UnloadIdle()
    {
        foreach (var slot in _slots.Values.Where(s => s.State == OrganState.Ready && !_settings.KeptWarm.Contains(s.Organ) && !_scheduler.Wanted(s.Organ)))
        {
            if (_clock.GetElapsedTime(slot.LastReply) < _settings.IdleTimeout)
            {
                continue;
            }

            var process = slot.Process!;
            slot.State = OrganState.Unloading;
            Publish(slot, $"idle for {_settings.IdleTimeout.TotalSeconds:F0} s");
            _scheduler.Unloading(slot.Card!); // nothing is placed on the card until the process is gone and its memory back
            var self = Self;
            process.StopAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => self.Tell(new UnloadEnded(slot.Organ, process, FreesCard: true)), TaskScheduler.Default);
        }
    }

    private void UnloadEnd(UnloadEnded ended)
    {
        var slot = _slots[ended.Organ];
        if (slot.Process != ended.Process)
        {
            return;
        }

        var card = slot.Card!;
        (slot.Process, slot.State, slot.Card, slot.Prewarmed) = (null, OrganState.Idle, null, false);
        if (ended.FreesCard)
        {
            _scheduler.Emptied(card);
        }

        Publish(slot, $"unloaded; process {ended.Process.Pid} has exited");
        ended.Process.Dispose();
        Pump();
    }

    private void FailWaiting(string organ, string reason, string detail)
    {
        foreach (var (id, pending) in _pending.Where(p => p.Value.Call.Organ == organ).ToList())
        {
            if (_scheduler.Cancel(id))
            {
                _pending.Remove(id);
                Timers.Cancel(id);
                pending.ReplyTo.Tell(new OrganCallFailed(id, organ, reason, detail));
            }
        }
    }
}
