using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using static Nimmerverse.Actors.Npc.Placement.PlacementMessages;

namespace Nimmerverse.Actors.Npc.Placement;

/// <summary>
/// Publishes <see cref="ClusterStanding"/> on the event stream when this member's view changes between "sees a majority
/// of the members" and "does not" (ties go to the side with the lowest address, as the keep-majority resolver decides).
/// The keep-majority resolver downs the minority only after its stable-after; brains on the minority stop renewing
/// from the moment it is cut off, so they are gone before the majority starts their NPCs elsewhere.
/// </summary>
public sealed class ClusterStandingActor : ReceiveActor
{
    /// <summary>
    /// Akka.Cluster's failure detector: the heartbeat silence it accepts before it calls a member unreachable (its
    /// default). Two members can see the same cut this much apart, so a cut-off member may find itself in the minority
    /// (and stop renewing) up to this long after the majority saw it go.
    /// </summary>
    public static readonly TimeSpan AcceptableHeartbeatPause = TimeSpan.FromSeconds(3);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private bool _inMajority = true;

    public ClusterStandingActor()
    {
        Receive<ClusterEvent.IMemberEvent>(_ => Judge());
        Receive<ClusterEvent.IReachabilityEvent>(_ => Judge());
        Receive<ClusterEvent.CurrentClusterState>(_ => Judge());
    }

    public static Props Props() => Akka.Actor.Props.Create(() => new ClusterStandingActor());

    /// <summary>Whether the members reachable from here are a majority of <paramref name="members"/> (ties: the side holding the lowest address).</summary>
    public static bool SeesMajority(IReadOnlyCollection<Address> members, IReadOnlyCollection<Address> unreachable)
    {
        var reachable = members.Count - members.Count(unreachable.Contains);
        if (reachable * 2 != members.Count)
        {
            return reachable * 2 > members.Count;
        }

        return members.Min(Address.Comparer) is { } lowest && !unreachable.Contains(lowest);
    }

    protected override void PreStart() =>
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    private void Judge()
    {
        var state = _cluster.State;
        var members = state.Members.Where(m => m.Status is MemberStatus.Up or MemberStatus.Leaving or MemberStatus.Exiting or MemberStatus.WeaklyUp).Select(m => m.Address).ToArray();
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        var inMajority = members.Length == 0 || SeesMajority(members, unreachable);
        if (inMajority == _inMajority)
        {
            return;
        }

        _inMajority = inMajority;
        if (inMajority)
        {
            _log.Info("This member sees a majority of the cluster again ({Reachable} of {Members} reachable): its brains' leases are renewed", members.Length - unreachable.Count, members.Length);
        }
        else
        {
            _log.Warning("This member sees only {Reachable} of {Members} cluster members: it stops renewing its brains' leases, so they stop themselves before the majority starts their NPCs elsewhere", members.Length - unreachable.Count, members.Length);
        }

        Context.System.EventStream.Publish(new ClusterStanding(inMajority));
    }
}
