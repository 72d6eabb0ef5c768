using Akka.Hosting;
using Nimmerverse.Actors.Cells.Battery;
using Nimmerverse.Actors.Cells.MathCell;
using Nimmerverse.Actors.Cells.Sensor;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Actors.Nerves;
using Nimmerverse.Actors.Thalamus;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Configuration;

namespace Nimmerverse.Supervisor.Hosting;

/// <summary>The nervous system by role: the thalamus's gates, the nerves and the cells, all on the bridge and the ledger.</summary>
public static class NervousSystemComposition
{
    public static AkkaConfigurationBuilder WithNervousSystem(this AkkaConfigurationBuilder builder, NimmerverseOptions options) =>
        builder.WithActors((system, registry) =>
        {
            var (bridge, ledger) = (registry.Get<NatsBridgeActor>(), registry.Get<LifeforceLedgerActor>());
            var subjects = new Subjects(options.Environment);
            if (options.EffectiveRoles.Contains(ClusterRoles.Thalamus))
            {
                registry.Register<ThalamusActor>(system.ActorOf(ThalamusActor.Props(bridge, subjects, options.Thalamus, options.HostName), "thalamus"));
            }

            if (options.EffectiveRoles.Contains(ClusterRoles.Nerves))
            {
                var nerves = options.Nerves;
                registry.Register<CollisionAvoidanceNerveActor>(system.ActorOf(CollisionAvoidanceNerveActor.Props(bridge, ledger, subjects, nerves.CollisionAvoidance, options.HostName), "nerve-collision"));
                if (nerves.Exploration is { StepInterval: not null } exploration)
                {
                    registry.Register<ExplorationNerveActor>(system.ActorOf(ExplorationNerveActor.Props(bridge, ledger, subjects, exploration, options.HostName), "nerve-exploration"));
                }
            }

            if (options.EffectiveRoles.Contains(ClusterRoles.Cells))
            {
                var cells = options.Cells;
                registry.Register<MathCellActor>(system.ActorOf(MathCellActor.Props(bridge, ledger, subjects, cells.Math, options.HostName), "cell-math"));
                registry.Register<BatteryCellActor>(system.ActorOf(BatteryCellActor.Props(bridge, ledger, subjects, cells.Battery, options.HostName), "cell-battery"));
                if (cells.Sensor is { Path: not null } sensor)
                {
                    registry.Register<SensorCellActor>(system.ActorOf(SensorCellActor.Props(bridge, ledger, subjects, sensor, options.HostName), "cell-sensor"));
                }
            }
        });
}
