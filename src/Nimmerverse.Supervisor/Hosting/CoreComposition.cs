using Akka.Hosting;
using NATS.Client.Core;
using Nimmerverse.Actors.Health;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Actors.Supervision;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Supervisor.Lifecycle;

namespace Nimmerverse.Supervisor.Hosting;

/// <summary>
/// What every member runs whatever its roles: bounded restarts for every top-level actor and the
/// watcher that counts them (first, so that it sees every failure), the watchdog's health probe,
/// the organism's lifeforce ledger and the NATS bridge. The other capabilities find them in the
/// actor registry.
/// </summary>
public static class CoreComposition
{
    public static AkkaConfigurationBuilder WithSupervisorCore(this AkkaConfigurationBuilder builder, NimmerverseOptions options) =>
        builder
        .AddHocon(BoundedRestartStrategy.GuardianHocon, HoconAddMode.Prepend)
        .WithActors((system, registry, resolver) =>
        {
            registry.Register<SupervisionWatcherActor>(system.ActorOf(SupervisionWatcherActor.Props(resolver.GetService<SupervisionCounters>()), "supervision"));
            registry.Register<HealthProbeActor>(system.ActorOf(HealthProbeActor.Props(FaultInjection.WedgeActorSystemAfter), "health-probe"));
            registry.Register<LifeforceLedgerActor>(system.ActorOf(LifeforceLedgerActor.Props(), "lifeforce"));
            registry.Register<NatsBridgeActor>(system.ActorOf(
                NatsBridgeActor.Props(resolver.GetService<INatsConnection>(), options.Nats, options.Environment, resolver.GetService<BridgeCounters>()),
                "nats-bridge"));
        });
}
