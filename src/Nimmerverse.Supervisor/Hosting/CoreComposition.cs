using Akka.Hosting;
using NATS.Client.Core;
using Nimmerverse.Actors.Health;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Supervisor.Lifecycle;

namespace Nimmerverse.Supervisor.Hosting;

/// <summary>
/// What every member runs whatever its roles: the watchdog's health probe, the organism's
/// lifeforce ledger and the NATS bridge. The other capabilities find them in the actor registry.
/// </summary>
public static class CoreComposition
{
    public static AkkaConfigurationBuilder WithSupervisorCore(this AkkaConfigurationBuilder builder, NimmerverseOptions options) =>
        builder.WithActors((system, registry, resolver) =>
        {
            registry.Register<HealthProbeActor>(system.ActorOf(HealthProbeActor.Props(FaultInjection.WedgeActorSystemAfter), "health-probe"));
            registry.Register<LifeforceLedgerActor>(system.ActorOf(LifeforceLedgerActor.Props(), "lifeforce"));
            registry.Register<NatsBridgeActor>(system.ActorOf(
                NatsBridgeActor.Props(resolver.GetService<INatsConnection>(), options.Nats, options.Environment, resolver.GetService<BridgeCounters>()),
                "nats-bridge"));
        });
}
