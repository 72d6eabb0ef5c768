using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Event;
using Akka.Hosting;
using Akka.Logger.Serilog;
using Akka.Remote.Hosting;
using NATS.Client.Core;
using Nimmerverse.Actors.Cells.Battery;
using Nimmerverse.Actors.Cells.MathCell;
using Nimmerverse.Actors.Cells.Sensor;
using Nimmerverse.Actors.Governor;
using Nimmerverse.Actors.Health;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Actors.Nerves;
using Nimmerverse.Actors.Npc;
using Nimmerverse.Actors.World;
using Nimmerverse.Actors.Thalamus;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Supervisor.Lifecycle;
using Nimmerverse.Supervisor.NpcScopes;

namespace Nimmerverse.Supervisor.Hosting;

/// <summary>
/// The ActorSystem's composition, split by concern so that specs can call exactly these
/// methods with test settings.
/// </summary>
public static class AkkaComposition
{
    /// <summary>Akka's own log events go to Serilog; Akka's default semantic formatter keeps their template properties.</summary>
    public static AkkaConfigurationBuilder ConfigureNimmerverseLogging(this AkkaConfigurationBuilder builder) =>
        builder.ConfigureLoggers(loggers =>
        {
            loggers.ClearLoggers();
            loggers.AddLogger<SerilogLogger>();
            loggers.LogLevel = LogLevel.InfoLevel;
        });

    /// <summary>
    /// Remoting and cluster membership: with seed nodes it joins them; without, the host joins
    /// itself and is a one-member cluster. Split-brain resolution keeps the majority side.
    /// </summary>
    public static AkkaConfigurationBuilder ConfigureNimmerverseCluster(this AkkaConfigurationBuilder builder, NimmerverseOptions options)
    {
        builder
            .WithRemoting(new RemoteOptions
            {
                HostName = options.Akka.Hostname,
                PublicHostName = options.Akka.PublicHostname ?? options.Akka.Hostname,
                Port = options.Akka.Port,
            })
            .WithClustering(new ClusterOptions
            {
                Roles = [.. options.EffectiveRoles, ClusterRoles.OfHost(options.HostName)],
                SeedNodes = options.Akka.SeedNodes.Length == 0 ? null : options.Akka.SeedNodes,
                SplitBrainResolver = new KeepMajorityOption(),
            });

        if (options.Akka.SeedNodes.Length == 0)
        {
            // The own address is known only once remoting is bound (Port may be 0), so the
            // self-join happens at start-up rather than through configured seed nodes.
            builder.AddStartup((system, _) =>
            {
                var cluster = Cluster.Get(system);
                cluster.Join(cluster.SelfAddress);
            });
        }

        return builder;
    }

    /// <summary>
    /// The supervisor's own actors: health probe, lifeforce ledger, NATS bridge, checkpoint keeper,
    /// and by role the thalamus, the nerves, the cells, the grid world and the NPC host.
    /// </summary>
    public static AkkaConfigurationBuilder WithNimmerverseActors(this AkkaConfigurationBuilder builder, NimmerverseOptions options) =>
        builder
            // The brains' graceful stop runs in this phase; Akka's default 5 s would cut it short.
            .AddHocon(
                $"akka.coordinated-shutdown.phases.service-unbind.timeout = {(int)Math.Ceiling(options.Npc.StopTimeout.TotalSeconds) + 5}s",
                HoconAddMode.Prepend)
            .WithActors((system, registry, resolver) =>
        {
            var probe = system.ActorOf(HealthProbeActor.Props(options.Testing.WedgeActorSystemAfter), "health-probe");
            registry.Register<HealthProbeActor>(probe);

            var ledger = system.ActorOf(LifeforceLedgerActor.Props(), "lifeforce");
            registry.Register<LifeforceLedgerActor>(ledger);

            var bridge = system.ActorOf(
                NatsBridgeActor.Props(resolver.GetService<INatsConnection>(), resolver.GetService<NatsBridgeSettings>(), resolver.GetService<BridgeCounters>()),
                "nats-bridge");
            registry.Register<NatsBridgeActor>(bridge);

            var subjects = new Subjects(options.Environment);
            registry.Register<CheckpointKeeperActor>(system.ActorOf(CheckpointKeeperActor.Props(bridge, subjects, resolver.GetService<ICheckpointStore>(), options.HostName), "checkpoints"));
            if (options.EffectiveRoles.Contains(ClusterRoles.Thalamus))
            {
                registry.Register<ThalamusActor>(system.ActorOf(ThalamusActor.Props(bridge, subjects, options.Thalamus.ToSettings(), options.HostName), "thalamus"));
            }

            if (options.EffectiveRoles.Contains(ClusterRoles.Nerves))
            {
                var nerves = options.Nerves;
                registry.Register<CollisionAvoidanceNerveActor>(system.ActorOf(CollisionAvoidanceNerveActor.Props(bridge, ledger, subjects, nerves.CollisionAvoidance.ToSettings(), options.HostName), "nerve-collision"));
                if (nerves.Exploration.ToSettings() is { } exploration)
                {
                    registry.Register<ExplorationNerveActor>(system.ActorOf(ExplorationNerveActor.Props(bridge, ledger, subjects, exploration, options.HostName), "nerve-exploration"));
                }
            }

            if (options.EffectiveRoles.Contains(ClusterRoles.Cells))
            {
                var cells = options.Cells;
                registry.Register<MathCellActor>(system.ActorOf(MathCellActor.Props(bridge, ledger, subjects, cells.Math.ToSettings(), options.HostName), "cell-math"));
                registry.Register<BatteryCellActor>(system.ActorOf(BatteryCellActor.Props(bridge, ledger, subjects, cells.Battery.ToSettings(), options.HostName), "cell-battery"));
                if (cells.Sensor.ToSettings() is { } sensor)
                {
                    registry.Register<SensorCellActor>(system.ActorOf(SensorCellActor.Props(bridge, ledger, subjects, sensor, options.HostName), "cell-sensor"));
                }
            }

            if (options.EffectiveRoles.Contains(ClusterRoles.World))
            {
                registry.Register<GridWorldActor>(system.ActorOf(GridWorldActor.Props(bridge, ledger, subjects, options.World.ToSettings(), options.HostName), "world"));
            }

            if (options.EffectiveRoles.Contains(ClusterRoles.Governor))
            {
                // One governor per cluster: a singleton on the oldest member with the governor role.
                // Tick rates and gates go over NATS; CPU quotas to the NPC host of the member that
                // runs the NPC, found by its host role.
                var governor = options.Governor.ToSettings(options.World.Citizens, options.Npc);
                var governorProps = GovernorActor.Props(
                    governor, bridge, subjects, governor.NewPolicy, resolver.GetService<IDecisionTrails>(),
                    new ClusterNpcHosts(system, options.HostName, () => registry.TryGet<NpcHostActor>(out var npcHost) ? npcHost : null).Find,
                    options.HostName, checkpoints: resolver.GetService<IGovernorCheckpoints>());
                var singleton = system.ActorOf(
                    Akka.Cluster.Tools.Singleton.ClusterSingletonManager.Props(governorProps, Akka.Actor.PoisonPill.Instance,
                        Akka.Cluster.Tools.Singleton.ClusterSingletonManagerSettings.Create(system).WithRole(ClusterRoles.Governor).WithSingletonName("governor")),
                    "governor");
                registry.Register<GovernorActor>(singleton);
            }

            if (options.EffectiveRoles.Contains(ClusterRoles.NpcHost) && options.Npc.Population > 0)
            {
                var npcSettings = options.Npc.ToSettings(options.Nats.Url, options.Environment);
                var backend = resolver.GetService<NpcBackend>();
                var npcHost = system.ActorOf(NpcHostActor.Props(npcSettings, bridge, subjects, options.HostName, backend.Scopes), ClusterNpcHosts.ActorName);
                registry.Register<NpcHostActor>(npcHost);
                // Before the actors stop: every brain gets SIGTERM and its stop timeout to hand over
                // its checkpoint (through the bridge, still running in this phase). When systemd is
                // restarting the supervisor (systemctl restart, an upgrade), brains in their scopes
                // checkpoint and keep running instead, for the next supervisor to adopt.
                CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceUnbind, "stop-npc-brains", async () =>
                {
                    var restarting = await backend.IsSupervisorRestartingAsync(warning => system.Log.Warning(warning)).ConfigureAwait(false);
                    await npcHost.Ask<NpcHostMessages.AllStopped>(new NpcHostMessages.StopAll(restarting), npcSettings.StopTimeout + TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                    return Akka.Done.Instance;
                });
            }
        });
}
