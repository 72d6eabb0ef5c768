using Akka.Actor;
using Akka.Event;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Nimmerverse.Actors.Linux;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Actors.Npc;
using Nimmerverse.Actors.Npc.Placement;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Supervisor.Identities;
using Nimmerverse.Supervisor.NpcScopes;

namespace Nimmerverse.Supervisor.Hosting;

/// <summary>
/// The checkpoint keeper (every member answers the brains' checkpoint requests in one queue group); on the members
/// with the <c>npc-host</c> role the cluster's NPC placement (a singleton on the oldest of them, with a proxy on each)
/// and this member's standing; and, where the population is not 0, the NPC host with its brains.
/// </summary>
public static class NpcHostComposition
{
    public const string PlacementSingletonName = "npc-placement";

    public static AkkaConfigurationBuilder WithNpcHost(this AkkaConfigurationBuilder builder, NimmerverseOptions options) =>
        (options.EffectiveRoles.Contains(ClusterRoles.NpcHost)
            ? builder.WithSingleton<NpcPlacementActor>(
                PlacementSingletonName,
                (_, _, _) => NpcPlacementActor.Props(options.World.Citizens, options.Npc.LeaseTimeout),
                new ClusterSingletonOptions { Role = ClusterRoles.NpcHost },
                createProxyToo: true)
            : builder)
            // The brains' graceful stop runs in this phase; Akka's default 5 s would cut it short.
            .AddHocon(
                $"akka.coordinated-shutdown.phases.service-unbind.timeout = {(int)Math.Ceiling(options.Npc.StopTimeout.TotalSeconds) + 5}s",
                HoconAddMode.Prepend)
            .WithActors((system, registry, resolver) =>
            {
                var (bridge, subjects) = (registry.Get<NatsBridgeActor>(), new Subjects(options.Environment));
                registry.Register<CheckpointKeeperActor>(system.ActorOf(CheckpointKeeperActor.Props(bridge, subjects, resolver.GetService<ICheckpointStore>(), options.HostName), "checkpoints"));
                if (!options.EffectiveRoles.Contains(ClusterRoles.NpcHost) || options.Npc.Population == 0)
                {
                    return;
                }

                var settings = options.Npc;
                var backend = resolver.GetService<NpcBackend>();
                // Brains as their own user (Npc:User, checked at start) and, with NATS identities, each
                // with credentials of its own, minted at spawn.
                IBrainLauncher launcher = settings.BrainUser() is { } user && user.Uid != UnixUser.CurrentUid
                    ? new ProcessBrainLauncher(user)
                    : ProcessBrainLauncher.Instance;
                if (options.Nats.Identities is { } directory)
                {
                    launcher = new CredentialedBrainLauncher(launcher, NatsIdentities.At(directory).Minter(subjects));
                }

                system.ActorOf(ClusterStandingActor.Props(), "cluster-standing");
                var npcHost = system.ActorOf(NpcHostActor.Props(settings, options.Nats.Url, bridge, subjects, options.HostName, backend.Scopes, launcher, registry.Get<NpcPlacementActor>(), AkkaComposition.StaleViewLimit(options)), NpcHostActor.ActorName);
                registry.Register<NpcHostActor>(npcHost);
                system.ActorOf(NpcSamplerActor.Props(bridge, subjects, npcHost, resolver.GetService<INpcSamples>(), options.HostName, options.Trails.NpcSampleInterval), "npc-sampler");
                // Before the actors stop: every brain gets SIGTERM and its stop timeout to hand over its
                // checkpoint (through the bridge, still running in this phase). When systemd is restarting
                // the supervisor (systemctl restart, an upgrade), brains in their scopes checkpoint and keep
                // running instead, for the next supervisor to adopt.
                CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceUnbind, "stop-npc-brains", async () =>
                {
                    var restarting = await backend.IsSupervisorRestartingAsync(warning => system.Log.Warning(warning)).ConfigureAwait(false);
                    await npcHost.Ask<NpcHostMessages.AllStopped>(new NpcHostMessages.StopAll(restarting), settings.StopTimeout + TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                    return Akka.Done.Instance;
                });
            });
}
