using Akka.Actor;

namespace Nimmerverse.Actors.Supervision;

/// <summary>Counts what <see cref="BoundedRestartStrategy"/> publishes (the strategy is built by Akka, outside dependency injection).</summary>
public sealed class SupervisionWatcherActor : ReceiveActor
{
    public SupervisionWatcherActor(SupervisionCounters counters)
    {
        Receive<ActorFailed>(counters.Record);
    }

    public static Props Props(SupervisionCounters counters) => Akka.Actor.Props.Create(() => new SupervisionWatcherActor(counters));

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(ActorFailed));

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self, typeof(ActorFailed));
}
