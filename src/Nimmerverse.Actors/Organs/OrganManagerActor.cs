using Akka.Actor;
using Akka.Event;
using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Organs;

/// <summary>
/// Loads organs when they are asked for and unloads them when idle, one per card (role
/// <c>organs</c>, one per host). Each loaded organ is its own <c>nimmerverse-organ</c> process
/// (<see cref="OrganProcess"/>); which organ holds which card and which call goes next is the
/// <see cref="CardScheduler"/>'s decision (grouped by organ, a minimum residency, a maximum wait).
/// Idleness counts only with nothing in flight, from the last reply; <c>KeepWarm</c> organs stay.
/// A load every caller has given up on is cancelled. An organ that dies or hangs fails its call
/// in flight and is loaded again, after a backoff that doubles per crash in a row.
/// </summary>
public sealed partial class OrganManagerActor : ReceiveActor, IWithTimers
{
    private readonly OrganManagerSettings _settings;
    private readonly Func<string, int, CancellationToken, Task>? _contain;
    private readonly Linux.UnixUser? _user;
    private readonly TimeProvider _clock;
    private readonly CardScheduler _scheduler;
    private readonly Dictionary<string, OrganSlot> _slots;
    private readonly Dictionary<Guid, PendingCall> _pending = [];
    private readonly ILoggingAdapter _log = Context.GetLogger();

    /// <param name="settings">The section <c>Organs</c>.</param>
    /// <param name="contain">Puts a new organ process (organ, process id) where it belongs before it loads: its systemd scope where systemd runs; null leaves it a plain child.</param>
    /// <param name="clock">The time, for tests.</param>
    public OrganManagerActor(OrganManagerSettings settings, Func<string, int, CancellationToken, Task>? contain = null, TimeProvider? clock = null)
    {
        (_settings, _contain, _clock) = (settings, contain, clock ?? TimeProvider.System);
        _user = settings.OrganUser(); // looked up once: an organ may be loaded many times
        _scheduler = new CardScheduler(settings.EffectiveCards, settings.MinResidency, settings.MaxWait, _clock);
        _slots = OrganNames.All.ToDictionary(name => name, name => new OrganSlot(name), StringComparer.Ordinal);

        Receive<OrganCall>(Call);
        Receive<PrewarmOrgan>(Prewarm);
        Receive<CallExpired>(Expired);
        Receive<LoadEnded>(LoadEnd);
        Receive<UnloadEnded>(UnloadEnd);
        Receive<CallServed>(Served);
        Receive<OrganDied>(Died);
        Receive<HealthChecked>(OnHealthChecked);
        Receive<IdleCheck>(_ =>
        {
            UnloadIdle();
            CheckHealth();
            if (_scheduler.WaitingCount > 0)
            {
                Pump(); // a residency ends or a wait reaches its maximum with no event to say so
            }
        });
        Receive<PumpNow>(_ => Pump());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(OrganManagerSettings settings, Func<string, int, CancellationToken, Task>? contain = null, TimeProvider? clock = null) =>
        Akka.Actor.Props.Create(() => new OrganManagerActor(settings, contain, clock));

    protected override void PreStart()
    {
        var every = TimeSpan.FromTicks(Math.Clamp(_settings.IdleTimeout.Ticks / 4, TimeSpan.TicksPerMillisecond * 100, TimeSpan.TicksPerSecond));
        Timers.StartPeriodicTimer("idle", IdleCheck.Instance, every);
    }

    /// <summary>Every organ process ends with the manager: none outlives the supervisor.</summary>
    protected override void PostStop()
    {
        var stops = _slots.Values.Where(s => s.Process is not null).Select(s => s.Process!.StopAsync(TimeSpan.FromSeconds(2))).ToArray();
        Task.WaitAll(stops, TimeSpan.FromSeconds(5));
        foreach (var slot in _slots.Values)
        {
            slot.LoadCancellation?.Cancel();
            slot.Process?.Dispose();
        }
    }

    private void Call(OrganCall call)
    {
        if (!_slots.ContainsKey(call.Organ))
        {
            Sender.Tell(new OrganCallFailed(call.Id, call.Organ, OrganReasons.InvalidRequest, $"there is no organ '{call.Organ}' (organs: {OrganNames.Listed})"));
            return;
        }

        _pending[call.Id] = new PendingCall(call, Sender, _clock.GetTimestamp());
        _scheduler.Enqueue(call.Id, call.Organ);
        Timers.StartSingleTimer(call.Id, new CallExpired(call.Id), call.Timeout);
        Pump();
    }

    private void Prewarm(PrewarmOrgan prewarm)
    {
        if (_slots.TryGetValue(prewarm.Organ, out var slot) && slot.State == OrganState.Idle && !InBackoff(slot) && _scheduler.Place(prewarm.Organ) is { } card)
        {
            _log.Info("Pre-warming the {0} organ on card {1}", prewarm.Organ, card);
            slot.Prewarmed = true;
            StartLoad(card, prewarm.Organ, evicting: null);
        }
    }

    private void Expired(CallExpired expired)
    {
        if (!_pending.TryGetValue(expired.CallId, out var pending) || !_scheduler.Cancel(expired.CallId))
        {
            return; // answered, or being worked on: the organ's processing timeout governs it
        }

        _pending.Remove(expired.CallId);
        var organ = pending.Call.Organ;
        pending.ReplyTo.Tell(new OrganCallFailed(expired.CallId, organ, OrganReasons.Timeout, $"no answer from the {organ} organ within {pending.Call.Timeout.TotalSeconds:F1} s"));
        var slot = _slots[organ];
        if (slot.State == OrganState.Loading && !slot.Prewarmed && !_scheduler.Wanted(organ))
        {
            _log.Info("Cancelling the {0} organ's load: every caller has gone", organ);
            slot.LoadCancellation?.Cancel();
        }
    }

    private void Pump()
    {
        foreach (var decision in _scheduler.Decide())
        {
            switch (decision)
            {
                case CardScheduler.Load load when InBackoff(_slots[load.Model]):
                    _scheduler.Emptied(load.Card); // the organ waits out its backoff; the pump comes back then
                    Timers.StartSingleTimer($"backoff-{load.Model}", PumpNow.Instance, _slots[load.Model].BackoffUntil - _clock.GetUtcNow());
                    break;
                case CardScheduler.Load load:
                    StartLoad(load.Card, load.Model, load.Evicting);
                    break;
                case CardScheduler.Serve serve:
                    StartServe(serve.Card, serve.Request.RequestId);
                    break;
            }
        }
    }

    private bool InBackoff(OrganSlot slot) => slot.BackoffUntil > _clock.GetUtcNow();

    /// <summary>
    /// Tells the event stream (and the log) of a lifecycle step. A step of every request (processing,
    /// ready again) is <paramref name="quiet"/>: published, but logged at debug, or the log would hold two lines a request.
    /// </summary>
    private void Publish(OrganSlot slot, string? reason = null, bool quiet = false)
    {
        var change = new OrganStateChanged(slot.Organ, slot.State, slot.Card, slot.Process?.Pid, slot.LoadTime, reason);
        var (state, card, why) = (slot.State.ToString().ToLowerInvariant(), slot.Card is null ? "" : $" on card {slot.Card}", reason is null ? "" : $" ({reason})");
        if (quiet)
        {
            _log.Debug("Organ {0}: {1}{2}{3}", slot.Organ, state, card, why);
        }
        else
        {
            _log.Info("Organ {0}: {1}{2}{3}", slot.Organ, state, card, why);
        }

        Context.System.EventStream.Publish(change);
    }
}
