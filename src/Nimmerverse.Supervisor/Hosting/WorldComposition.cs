using Akka.Hosting;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Actors.World;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Configuration;

namespace Nimmerverse.Supervisor.Hosting;

/// <summary>The grid world on the members with the <c>world</c> role.</summary>
public static class WorldComposition
{
    public static AkkaConfigurationBuilder WithWorld(this AkkaConfigurationBuilder builder, NimmerverseOptions options) =>
        !options.EffectiveRoles.Contains(ClusterRoles.World)
            ? builder
            : builder.WithActors((system, registry) => registry.Register<GridWorldActor>(system.ActorOf(
                GridWorldActor.Props(registry.Get<NatsBridgeActor>(), registry.Get<LifeforceLedgerActor>(), new Subjects(options.Environment), options.World, options.HostName),
                "world")));
}
