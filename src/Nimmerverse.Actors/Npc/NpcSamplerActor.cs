using Akka.Actor;
using Akka.Event;
using Nimmerverse.Protocol;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;

namespace Nimmerverse.Actors.Npc;

/// <summary>One NPC's state at a moment, as kept for its history.</summary>
public sealed record NpcSample(DateTimeOffset At, string Host, NpcStateBody State);

/// <summary>Where NPC history is kept: a batch at a time.</summary>
public interface INpcSamples
{
    Task StoreAsync(IReadOnlyList<NpcSample> samples, CancellationToken cancellationToken);
}

/// <summary>
/// The history of this host's NPCs: every <c>interval</c> it keeps the latest state of each NPC its NPC host
/// runs (one row per NPC per interval, however fast it ticks) through <see cref="INpcSamples"/>. Each host
/// samples its own NPCs, so a cluster keeps each NPC once. A batch the store refuses is logged and dropped:
/// history is a curve, not a ledger.
/// </summary>
public sealed class NpcSamplerActor : ReceiveActor, IWithTimers
{
    private readonly IActorRef _bridge;
    private readonly Subjects _subjects;
    private readonly IActorRef _npcHost;
    private readonly INpcSamples _store;
    private readonly string _hostName;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _clock;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<int, NpcStateBody> _latest = [];
    private HashSet<int> _own = [];
    private bool _storing;

    private sealed record Sample
    {
        public static readonly Sample Instance = new();
    }

    private sealed record Stored(int Count, Exception? Error);

    public NpcSamplerActor(IActorRef bridge, Subjects subjects, IActorRef npcHost, INpcSamples store, string hostName, TimeSpan interval, TimeProvider clock)
    {
        (_bridge, _subjects, _npcHost, _store, _hostName, _interval, _clock) = (bridge, subjects, npcHost, store, hostName, interval, clock);
        Receive<Subscribed>(_ => { });
        Receive<Inbound<NpcStateBody>>(state => _latest[state.Envelope.Body.NpcId] = state.Envelope.Body);
        Receive<NpcHostMessages.HostedNpcs>(hosted => _own = [.. hosted.NpcIds]);
        Receive<Sample>(_ => TakeSample());
        Receive<Stored>(stored =>
        {
            _storing = false;
            if (stored.Error is not null)
            {
                _log.Warning("{Count} NPC samples were not kept: {Error}", stored.Count, stored.Error.GetBaseException().Message);
            }
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef bridge, Subjects subjects, IActorRef npcHost, INpcSamples store, string hostName, TimeSpan interval, TimeProvider? clock = null) =>
        Akka.Actor.Props.Create(() => new NpcSamplerActor(bridge, subjects, npcHost, store, hostName, interval, clock ?? TimeProvider.System));

    protected override void PreStart()
    {
        _bridge.Tell(new Subscribe<NpcStateBody>(_subjects.NpcStates, Self));
        _npcHost.Tell(NpcHostMessages.GetNpcs.Instance);
        Timers.StartPeriodicTimer(nameof(Sample), Sample.Instance, _interval);
    }

    private void TakeSample()
    {
        // Which NPCs are this host's, for the next sample: a brain may have moved or been added.
        _npcHost.Tell(NpcHostMessages.GetNpcs.Instance);
        var now = _clock.GetUtcNow();
        var samples = _latest.Where(n => _own.Contains(n.Key)).Select(n => new NpcSample(now, _hostName, n.Value)).ToList();
        _latest.Clear();
        if (samples.Count == 0 || _storing)
        {
            return; // a store still busy with the last sample: this one is skipped rather than queued
        }

        _storing = true;
        _store.StoreAsync(samples, CancellationToken.None).PipeTo(Self, success: () => new Stored(samples.Count, null), failure: e => new Stored(samples.Count, e));
    }
}
