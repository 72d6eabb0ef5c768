using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Nimmerverse.Protocol;
using static Nimmerverse.Actors.Npc.Placement.PlacementMessages;

namespace Nimmerverse.Actors.Npc.Placement;

/// <summary>
/// The village's NPC placement, a cluster singleton on the oldest <c>npc-host</c> member: it hears each host's
/// <see cref="HostReport"/>, plans with <see cref="PlacementPlanner"/> and answers each with its <see cref="RunSet"/>.
/// <list type="bullet">
/// <item>It plans nothing until every <c>npc-host</c> member that is up has reported (or <see cref="SettleTimeout"/>
/// passed): a new singleton after a failover must learn where brains run before it starts any.</item>
/// <item>An unreachable host keeps its NPCs: it may come back (the keep-majority resolver decides).</item>
/// <item>A host removed from the cluster is <i>fenced</i>: its NPCs start elsewhere only once its brains are surely
/// gone, when their leases (<c>Npc:LeaseTimeout</c>) have lapsed counted from when it became unreachable, or from
/// its removal. A host that comes back within the fence (a supervisor restarted by systemd, its brains adopted)
/// keeps its NPCs.</item>
/// </list>
/// Host names, not addresses, identify hosts: a restarted supervisor has a new incarnation but the same brains.
/// </summary>
public sealed class NpcPlacementActor : ReceiveActor, IWithTimers
{
    /// <summary>How often hosts report and the plan is made.</summary>
    public static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(1);

    /// <summary>The longest a new placement waits for the reports of members that are up.</summary>
    public static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(10);

    /// <summary>NPC moves in flight at once when a host joins (each is checkpoint, stop, start elsewhere).</summary>
    public const int MaxMovesInFlight = 2;

    /// <summary>
    /// Added to every fence: a cut-off member may see its own cut a heartbeat pause after the majority did (and only
    /// then stop renewing), a lapsed brain hands over its last checkpoint for up to its bounded handover, and a second
    /// for a tick, its exit and two processes' clocks.
    /// </summary>
    public static readonly TimeSpan FenceSlack = ClusterStandingActor.AcceptableHeartbeatPause + BrainCommandLine.LapsedHandover + TimeSpan.FromSeconds(1);

    /// <summary>
    /// Holds, in a placement that has just started, the NPCs no host reports: it cannot tell whether a host lost just
    /// before it (the one the singleton moved from) still runs them. Their brains are surely gone a fence's slack after
    /// it started (their leases are no longer than the resolver's stable-after, which passed before it did).
    /// </summary>
    private const string Unreported = "(unreported)";

    private readonly int _citizens;
    private readonly TimeSpan _lease;
    private readonly TimeProvider _clock;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, Host> _hosts = new(StringComparer.Ordinal);
    private readonly HashSet<Address> _upNpcHosts = [];
    private readonly DateTimeOffset _startedAt;
    private Dictionary<int, string> _targets = [];
    private IReadOnlyList<int> _unplaced = [];
    private bool _settled;
    private string _lastSummary = "";

    public NpcPlacementActor(int citizens, TimeSpan lease, TimeProvider? clock = null)
    {
        (_citizens, _lease, _clock) = (citizens, lease, clock ?? TimeProvider.System);
        _startedAt = _clock.GetUtcNow();
        Receive<HostReport>(OnReport);
        Receive<ClusterEvent.MemberUp>(up => OnMemberUp(up.Member));
        Receive<ClusterEvent.MemberRemoved>(removed => OnMemberGone(removed.Member, "removed from the cluster"));
        Receive<ClusterEvent.UnreachableMember>(u => ForHostOf(u.Member, host => host.UnreachableSince ??= _clock.GetUtcNow()));
        Receive<ClusterEvent.ReachableMember>(r => ForHostOf(r.Member, host => host.UnreachableSince = null));
        Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
        Receive<PlanNow>(_ => PlanAndTell());
        Receive<GetPlacement>(_ => Sender.Tell(View()));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The placement of NPC ids 0..<paramref name="citizens"/>-1; <paramref name="lease"/> is the brains' <c>Npc:LeaseTimeout</c>.</summary>
    public static Props Props(int citizens, TimeSpan lease, TimeProvider? clock = null) =>
        Akka.Actor.Props.Create(() => new NpcPlacementActor(citizens, lease, clock));

    protected override void PreStart()
    {
        Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents, typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
        Timers.StartPeriodicTimer("plan", PlanNow.Instance, ReportInterval);
        _log.Info("NPC placement up: {Citizens} NPCs over the npc-host members; a lost host's NPCs start elsewhere once their leases ({Lease}) have lapsed", _citizens, _lease);
    }

    protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);

    private void OnMemberUp(Member member)
    {
        if (member.HasRole(ClusterRoles.NpcHost))
        {
            _upNpcHosts.Add(member.Address);
        }
    }

    private void OnMemberGone(Member member, string how)
    {
        _upNpcHosts.Remove(member.Address);
        ForHostOf(member, host =>
        {
            var now = _clock.GetUtcNow();
            var from = host.UnreachableSince is { } since && since < now ? since : now;
            host.FencedUntil = (from + _lease > now ? from + _lease : now) + FenceSlack;
            host.Reporter = null;
            _log.Warning(
                "Host {Host} was {How}: its {Count} NPCs start elsewhere at {FencedUntil:HH:mm:ss.fff}, once their brains' leases have lapsed, unless it is back before",
                host.Name, how, host.Running.Count, host.FencedUntil);
        });
    }

    /// <summary>Acts on the host a member's host role names, if it reported from that member.</summary>
    private void ForHostOf(Member member, Action<Host> act)
    {
        if (member.Roles.Select(ClusterRoles.HostIn).FirstOrDefault(h => h is not null) is { } name
            && _hosts.TryGetValue(name, out var host) && host.Address == member.Address)
        {
            act(host);
        }
    }

    private void OnReport(HostReport report)
    {
        if (!_hosts.TryGetValue(report.Host, out var host))
        {
            _hosts[report.Host] = host = new Host(report.Host);
        }

        var address = Sender.Path.Address.HasGlobalScope ? Sender.Path.Address : Cluster.Get(Context.System).SelfAddress;
        if (host.Address != address && host.Address is not null)
        {
            _log.Info("Host {Host} reports from a new incarnation ({Address}): it keeps its NPCs", report.Host, address);
            host.UnreachableSince = null;
        }

        (host.Address, host.Reporter, host.Capacity, host.Running, host.FencedUntil) = (address, Sender, report.Capacity, report.Running.ToHashSet(), null);
        if (_settled)
        {
            Sender.Tell(new RunSet(RunSetOf(Plan(), host.Name)));
        }
    }

    private void PlanAndTell()
    {
        var now = _clock.GetUtcNow();
        foreach (var lost in _hosts.Values.Where(h => h.FencedUntil is { } until && until <= now).ToArray())
        {
            if (lost.Name == Unreported)
            {
                _log.Info("NPCs {Npcs}, which no host reported when this placement started, are placed now", string.Join(",", lost.Running.Order()));
            }
            else
            {
                _log.Warning("Host {Host} did not come back: its fence has passed, its NPCs {Npcs} start on the others", lost.Name, string.Join(",", lost.Running.Order()));
            }

            _hosts.Remove(lost.Name);
        }

        if (!_settled)
        {
            var waitingFor = _upNpcHosts.Where(a => !_hosts.Values.Any(h => h.Address == a)).ToArray();
            if (waitingFor.Length > 0 && now - _startedAt < SettleTimeout)
            {
                return;
            }

            if (waitingFor.Length > 0)
            {
                _log.Warning("NPC placement starts without reports from {Members} (up with role npc-host, but no NPC host answered in {Timeout})", string.Join(", ", waitingFor.Select(a => a.ToString())), SettleTimeout);
            }

            _settled = true;
            var reported = _hosts.Values.SelectMany(h => h.Running).ToHashSet();
            var unreported = Enumerable.Range(0, _citizens).Where(id => !reported.Contains(id)).ToHashSet();
            if (unreported.Count > 0 && _lease > TimeSpan.Zero && now < _startedAt + FenceSlack)
            {
                _hosts[Unreported] = new Host(Unreported) { Running = unreported, FencedUntil = _startedAt + FenceSlack };
            }
        }

        var plan = Plan();
        foreach (var host in _hosts.Values.Where(h => h.Reporter is not null && h.UnreachableSince is null))
        {
            host.Reporter!.Tell(new RunSet(RunSetOf(plan, host.Name)));
        }
    }

    private PlacementPlan Plan()
    {
        var hosts = _hosts.Values.Select(h => new PlacementHost(h.Name, h.Capacity, h.Running, h.FencedUntil is null)).ToArray();
        var plan = PlacementPlanner.Plan(_citizens, hosts, _targets, MaxMovesInFlight);
        foreach (var (id, host) in plan.Targets)
        {
            if (_targets.TryGetValue(id, out var was) && was != host)
            {
                _log.Info("NPC {NpcId} moves from {From} to {To} (its checkpoint, then stop there, then start here)", id, was, host);
            }
        }

        (_targets, _unplaced) = (plan.Targets.ToDictionary(), plan.Unplaced);
        var summary = $"{string.Join(", ", plan.RunSets.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => $"{r.Key}: {r.Value.Count}"))}; unplaced {plan.Unplaced.Count}; twins {string.Join(",", plan.Twins)}";
        if (summary != _lastSummary)
        {
            _lastSummary = summary;
            if (plan.Twins.Count > 0)
            {
                _log.Error("NPCs {Npcs} run on two hosts at once; each is stopped where it does not belong", string.Join(",", plan.Twins));
            }

            _log.Info("NPC placement: {Summary}", summary);
        }

        return plan;
    }

    private static IReadOnlyList<int> RunSetOf(PlacementPlan plan, string host) =>
        plan.RunSets.TryGetValue(host, out var ids) ? ids.Order().ToArray() : [];

    private PlacementView View() => new(
        _targets,
        _hosts.Values.ToDictionary(h => h.Name, h => (IReadOnlyList<int>)h.Running.Order().ToArray()),
        _unplaced.ToArray(),
        _hosts.Values.Where(h => h.FencedUntil is not null).ToDictionary(h => h.Name, h => h.FencedUntil!.Value));

    private sealed class Host(string name)
    {
        public string Name { get; } = name;

        public Address? Address { get; set; }

        public IActorRef? Reporter { get; set; }

        public int Capacity { get; set; }

        public IReadOnlySet<int> Running { get; set; } = new HashSet<int>();

        public DateTimeOffset? UnreachableSince { get; set; }

        public DateTimeOffset? FencedUntil { get; set; }
    }

    private sealed record PlanNow
    {
        public static readonly PlanNow Instance = new();
    }
}
