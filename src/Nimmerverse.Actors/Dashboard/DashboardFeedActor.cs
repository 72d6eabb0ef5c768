using System.Text.Json;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Nimmerverse.Actors.Cortex;
using Nimmerverse.Actors.Npc;
using Nimmerverse.Actors.Organs;
using Nimmerverse.Actors.Thalamus;
using Nimmerverse.Protocol;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;

namespace Nimmerverse.Actors.Dashboard;

/// <summary>
/// The dashboard's one source, on every member. Cold, it listens to nothing. The first watcher (a browser's
/// event stream) or API call warms it: a tap child subscribes to NPC states, lifecycle events, allocations,
/// gate transitions and waves, and the feed follows the cluster's events and asks the local thalamus for its
/// gates each frame. Each frame it sends watchers what changed, serialized once for all of them; a watcher
/// that falls <see cref="DashboardSettings.WatcherBuffer"/> frames behind is dropped. When the last watcher
/// has gone and no call came for <see cref="DashboardSettings.Linger"/>, the tap stops (its subscriptions end
/// with it) and what was kept is forgotten: nobody looking costs nothing.
/// </summary>
public sealed class DashboardFeedActor : ReceiveActor, IWithTimers
{
    private readonly IActorRef _bridge;
    private readonly Subjects _subjects;
    private readonly DashboardSettings _settings;
    private readonly string _hostName;
    private readonly double _hostCpuBudgetPercent;
    private readonly IActorRef? _thalamus;
    private readonly CortexGauges? _cortex;
    private readonly OrganGauges? _organs;
    private readonly TimeProvider _clock;
    private readonly DashboardCounters _counters;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly HashSet<ChannelWriter<string>> _watchers = [];
    private DashboardState _state;
    private IActorRef? _tap;
    private DateTimeOffset _warmSince;
    private DateTimeOffset _lastCall;
    private string? _lastUpperHalf;

    private sealed record Frame
    {
        public static readonly Frame Instance = new();
    }

    public DashboardFeedActor(
        IActorRef bridge, Subjects subjects, DashboardSettings settings, string hostName, double hostCpuBudgetPercent,
        IActorRef? thalamus, CortexGauges? cortex, OrganGauges? organs, TimeProvider clock, DashboardCounters counters)
    {
        (_bridge, _subjects, _settings, _hostName, _hostCpuBudgetPercent) = (bridge, subjects, settings, hostName, hostCpuBudgetPercent);
        (_thalamus, _cortex, _organs, _clock, _counters) = (thalamus, cortex, organs, clock, counters);
        _state = NewState();

        Receive<DashboardMessages.Watch>(Watch);
        Receive<DashboardMessages.Unwatch>(unwatch => Drop(unwatch.Watcher, complete: false));
        Receive<DashboardMessages.IQuery>(Query);
        Receive<Frame>(_ => SendFrame());
        Receive<Inbound<NpcStateBody>>(m => _state.Npc(m.Envelope.Body, Now));
        Receive<Inbound<NpcLifecycleBody>>(m => _state.Lifecycle(m.Subject.Split('.')[2], m.Envelope.Body, Now));
        Receive<Inbound<AllocationBody>>(m => _state.Allocation(m.Envelope.Body, Now));
        Receive<Inbound<GateTransitionBody>>(m => _state.GateTransition(m.Envelope.Body, Now));
        Receive<Inbound<WaveBody>>(m => _state.Wave(m.Subject, m.Envelope.Body.Domain, m.Envelope.Header.Source.EntityId, m.Envelope.Body.Confidence, Now));
        Receive<ThalamusMessages.GateStates>(gates =>
        {
            foreach (var (domain, (state, value)) in gates.Gates)
            {
                _state.Gate(domain, state, value, Now);
            }
        });
        Receive<NpcHostMessages.HostedNpcs>(hosted => _state.Hosted(hosted.Host, hosted.NpcIds));
        Receive<ClusterEvent.MemberUp>(up =>
        {
            AskNpcHost(up.Member);
            _state.Cluster(ClusterNow());
        });
        Receive<ClusterEvent.IClusterDomainEvent>(_ => _state.Cluster(ClusterNow()));
        Receive<ClusterEvent.CurrentClusterState>(current =>
        {
            foreach (var member in current.Members.Where(m => m.Status == MemberStatus.Up))
            {
                AskNpcHost(member);
            }

            _state.Cluster(ClusterNow());
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private bool Warm => _tap is not null;

    private DateTimeOffset Now => _clock.GetUtcNow();

    public static Props Props(
        IActorRef bridge, Subjects subjects, DashboardSettings settings, string hostName, double hostCpuBudgetPercent,
        IActorRef? thalamus = null, CortexGauges? cortex = null, OrganGauges? organs = null, TimeProvider? clock = null, DashboardCounters? counters = null) =>
        Akka.Actor.Props.Create(() => new DashboardFeedActor(bridge, subjects, settings, hostName, hostCpuBudgetPercent, thalamus, cortex, organs, clock ?? TimeProvider.System, counters ?? new DashboardCounters()));

    protected override void PostStop()
    {
        foreach (var watcher in _watchers)
        {
            watcher.TryComplete();
        }

        _counters.Watchers(0, warm: false);
    }

    private void Watch(DashboardMessages.Watch watch)
    {
        if (_watchers.Count >= _settings.MaxWatchers)
        {
            Sender.Tell(new DashboardMessages.Refused($"{_watchers.Count} watchers already (Dashboard:MaxWatchers)"));
            return;
        }

        WarmUp();
        _watchers.Add(watch.Watcher);
        _counters.Watchers(_watchers.Count, warm: true);
        Sender.Tell(DashboardMessages.Watching.Instance);
        // The snapshot is this watcher's alone: it leaves the changes pending for the others' next delta.
        var snapshot = JsonSerializer.Serialize(_state.Snapshot(Now, UpperHalfNow()), DashboardJsonContext.Default.DashboardFrame);
        if (!watch.Watcher.TryWrite(snapshot))
        {
            Drop(watch.Watcher, complete: true);
        }
    }

    private void Query(DashboardMessages.IQuery query)
    {
        _lastCall = Now;
        if (!Warm)
        {
            WarmUp();
        }

        var warming = _warmSince + _settings.WarmUp - Now;
        if (warming > TimeSpan.Zero)
        {
            // Asked cold: listen a moment first, so that the answer holds what is true now, not nothing.
            Context.System.Scheduler.ScheduleTellOnce(warming, Self, query, Sender);
            return;
        }

        Sender.Tell(query switch
        {
            DashboardMessages.GetNpcs page => _state.Page(page.Offset, page.Limit, Now),
            DashboardMessages.GetNpc npc => (object?)_state.Detail(npc.NpcId, Now) ?? new DashboardMessages.NotFound($"NPC {npc.NpcId} has not been heard from"),
            DashboardMessages.GetGates => new DashboardMessages.Gates(_state.Gates()),
            DashboardMessages.GetCluster => (object?)_state.ClusterNow() ?? ClusterNow(),
            _ => new DashboardMessages.NotFound("unknown query"),
        });
    }

    private void WarmUp()
    {
        if (Warm)
        {
            return;
        }

        _warmSince = Now;
        _lastCall = Now;
        _tap = Context.ActorOf(DashboardTapActor.Props(_bridge, _subjects), "tap");
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.LeaderChanged));
        Timers.StartPeriodicTimer(nameof(Frame), Frame.Instance, _settings.FrameInterval);
        _thalamus?.Tell(ThalamusMessages.GetGates.Instance);
        _counters.Watchers(_watchers.Count, warm: true);
        _log.Info("Dashboard feed listening (a watcher or an API call came)");
    }

    private void CoolDown()
    {
        Context.Stop(_tap);
        _tap = null;
        Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
        Timers.Cancel(nameof(Frame));
        _state = NewState();
        _lastUpperHalf = null;
        _counters.Watchers(0, warm: false);
        _log.Info("Dashboard feed stopped listening: nobody watched for {Linger}", _settings.Linger);
    }

    private void SendFrame()
    {
        if (!Warm)
        {
            return; // a frame already queued when the feed cooled down
        }

        // Never cooler than a warm-up: a question asked cold is answered after it, and must find the feed still listening.
        var linger = _settings.Linger > _settings.WarmUp ? _settings.Linger : _settings.WarmUp + _settings.FrameInterval;
        if (_watchers.Count == 0 && Now - _lastCall >= linger)
        {
            CoolDown();
            return;
        }

        _thalamus?.Tell(ThalamusMessages.GetGates.Instance);
        if (_watchers.Count == 0)
        {
            return;
        }

        var delta = _state.Delta(Now, UpperHalf());
        if (delta.IsEmpty)
        {
            return;
        }

        var json = JsonSerializer.Serialize(delta, DashboardJsonContext.Default.DashboardFrame);
        _counters.Frame(json.Length);
        foreach (var watcher in _watchers.ToList().Where(w => !w.TryWrite(json)))
        {
            _log.Warning("A dashboard watcher fell {Frames} frames behind and was dropped; its browser starts again from a snapshot", _settings.WatcherBuffer);
            Drop(watcher, complete: true);
        }
    }

    private void Drop(ChannelWriter<string> watcher, bool complete)
    {
        if (_watchers.Remove(watcher))
        {
            _lastCall = Now;
            _counters.Watchers(_watchers.Count, Warm);
            if (complete)
            {
                _counters.Dropped();
                watcher.TryComplete(new ChannelClosedException("fell behind"));
            }
        }
    }

    /// <summary>The cortex and organs when this member has them, only when they changed since the last frame.</summary>
    private UpperHalfView? UpperHalf()
    {
        if (UpperHalfNow() is not { } view)
        {
            return null;
        }

        var json = JsonSerializer.Serialize(view, DashboardJsonContext.Default.UpperHalfView);
        if (json == _lastUpperHalf)
        {
            return null;
        }

        _lastUpperHalf = json;
        return view;
    }

    private UpperHalfView? UpperHalfNow() =>
        _cortex?.Latest is null && _organs?.Latest is null ? null : new UpperHalfView(_cortex?.Latest, _organs?.Latest);

    private ClusterView ClusterNow()
    {
        var cluster = Akka.Cluster.Cluster.Get(Context.System);
        var state = cluster.State;
        var up = state.Members.Where(m => m.Status == MemberStatus.Up).ToList();
        string? OldestWith(string role) => up.Where(m => m.HasRole(role)).OrderBy(m => m, Member.AgeOrdering).Select(HostOf).FirstOrDefault();
        var members = state.Members
            .Select(m => new MemberView(m.Address.ToString(), HostOf(m), m.Status.ToString().ToLowerInvariant(), [.. m.Roles.Where(r => ClusterRoles.HostIn(r) is null).Order()], !state.Unreachable.Contains(m)))
            .ToList();
        return new ClusterView(
            cluster.SelfAddress.ToString(), state.Leader?.ToString(), members,
            new Dictionary<string, string?> { [ClusterRoles.Governor] = OldestWith(ClusterRoles.Governor), [ClusterRoles.World] = OldestWith(ClusterRoles.World) },
            new Dictionary<string, double>(), _hostCpuBudgetPercent);
    }

    /// <summary>Which NPCs a member's NPC host runs (at <c>/user/npc-host</c> on every member with the role).</summary>
    private void AskNpcHost(Member member)
    {
        if (member.HasRole(ClusterRoles.NpcHost))
        {
            Context.ActorSelection(new RootActorPath(member.Address) / "user" / NpcHostActor.ActorName).Tell(NpcHostMessages.GetNpcs.Instance, Self);
        }
    }

    private static string HostOf(Member member) =>
        member.Roles.Select(ClusterRoles.HostIn).FirstOrDefault(host => host is not null) ?? member.Address.Host ?? "?";

    private DashboardState NewState() => new(_settings, _subjects.Environment, _hostName);
}
