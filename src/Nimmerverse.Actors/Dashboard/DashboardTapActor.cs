using Akka.Actor;
using Nimmerverse.Protocol;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;

namespace Nimmerverse.Actors.Dashboard;

/// <summary>
/// The feed's ear on NATS: it subscribes to what the dashboard shows and passes every message to its parent.
/// It lives only while the feed listens; the bridge ends its subscriptions when it stops.
/// </summary>
public sealed class DashboardTapActor : ReceiveActor
{
    private readonly IActorRef _bridge;
    private readonly Subjects _subjects;

    public DashboardTapActor(IActorRef bridge, Subjects subjects)
    {
        (_bridge, _subjects) = (bridge, subjects);
        Receive<Subscribed>(_ => { });
        ReceiveAny(message => Context.Parent.Forward(message));
    }

    public static Props Props(IActorRef bridge, Subjects subjects) => Akka.Actor.Props.Create(() => new DashboardTapActor(bridge, subjects));

    protected override void PreStart()
    {
        _bridge.Tell(new Subscribe<NpcStateBody>(_subjects.NpcStates, Self));
        _bridge.Tell(new Subscribe<NpcLifecycleBody>(_subjects.NpcLifecycles, Self));
        _bridge.Tell(new Subscribe<AllocationBody>(SubjectPattern.Parse(_subjects.Allocation.Value), Self));
        _bridge.Tell(new Subscribe<GateTransitionBody>(_subjects.GateTransitions, Self));
        _bridge.Tell(new Subscribe<WaveBody>(_subjects.Waves, Self));
        _bridge.Tell(new Subscribe<WaveBody>(_subjects.OrganWaves, Self));
    }
}
