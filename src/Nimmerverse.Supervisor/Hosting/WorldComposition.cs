using Akka.Cluster.Hosting;
using Akka.Hosting;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Actors.World;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Configuration;

namespace Nimmerverse.Supervisor.Hosting;

/// <summary>
/// One grid world per cluster: a singleton on the oldest member with the <c>world</c> role, so that every brain steps in
/// the same world; when that member is lost the next oldest takes it over, continuing from the world kept in PostgreSQL.
/// </summary>
public static class WorldComposition
{
    public const string SingletonName = "world";

    public static AkkaConfigurationBuilder WithWorld(this AkkaConfigurationBuilder builder, NimmerverseOptions options) =>
        !options.EffectiveRoles.Contains(ClusterRoles.World)
            ? builder
            : builder.WithSingleton<GridWorldActor>(
                SingletonName,
                (_, registry, resolver) => GridWorldActor.Props(
                    registry.Get<NatsBridgeActor>(), registry.Get<LifeforceLedgerActor>(), new Subjects(options.Environment), options.World, options.HostName,
                    store: resolver.GetService<IWorldStore>()),
                new ClusterSingletonOptions { Role = ClusterRoles.World },
                createProxyToo: false);
}
