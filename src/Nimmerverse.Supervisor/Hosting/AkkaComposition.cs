using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.Event;
using Akka.Hosting;
using Akka.Logger.Serilog;
using Akka.Remote.Hosting;
using Nimmerverse.Actors.Npc.Placement;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Configuration;

namespace Nimmerverse.Supervisor.Hosting;

/// <summary>The ActorSystem's logging and cluster membership, and the order in which the capabilities are composed.</summary>
public static class AkkaComposition
{
    /// <summary>
    /// How long after a lost member's removal its singletons start elsewhere. Akka's default with the resolver is
    /// stable-after again, for singletons that might still run on the downed side; here the downed side downs itself
    /// at the same moment, and the brains, the one thing that must never run twice, are fenced by the placement on
    /// their leases (<c>NpcPlacementActor.FenceSlack</c>), not by this margin. So a second, not twenty: the placement,
    /// the world and the governor resume that much sooner.
    /// </summary>
    public static readonly TimeSpan DownRemovalMargin = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long an Akka.Remote TCP connect may wait for an answer (Akka's default is 15 s). A member that has just
    /// downed a cut-off peer still addresses it for a moment (a singleton asks the old oldest to hand over), and a
    /// connect sent while the link is down waits for the peer's address: when the peer's restarted supervisor
    /// binds that address within the connect's life, the old connect completes against the new incarnation while
    /// the newcomer connects the other way, and the two associations cross (each side writes on one connection and
    /// reads the other). Both then find each other unreachable and the resolver downs both as indirectly connected
    /// (the cluster suite's partition test saw it 3 times in 3). Hosts of one lab answer a SYN in milliseconds, and
    /// systemd restarts a supervisor 2 s after it exits (RestartSec), so a connect never outlives an incarnation.
    /// </summary>
    public static readonly TimeSpan RemoteConnectTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a member that wakes from a pause (SIGSTOP, a frozen VM, starvation) may still act on its stale view:
    /// until its failure detector has found the others silent and its resolver has downed it, stable-after later.
    /// </summary>
    public static TimeSpan StaleViewLimit(NimmerverseOptions options) => ClusterStandingActor.AcceptableHeartbeatPause + options.Akka.StableAfter + TimeSpan.FromSeconds(1);

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
            })
            .AddHocon(
                $"""
                akka.cluster.split-brain-resolver.stable-after = {(int)options.Akka.StableAfter.TotalMilliseconds}ms
                akka.cluster.down-removal-margin = {(int)DownRemovalMargin.TotalMilliseconds}ms
                akka.remote.dot-netty.tcp.connection-timeout = {(int)RemoteConnectTimeout.TotalMilliseconds}ms
                """,
                HoconAddMode.Prepend);

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
    /// The supervisor's own actors, one capability at a time, each taking only the roles it serves:
    /// the core every member runs (health probe, lifeforce ledger, NATS bridge), the nervous system,
    /// the world, the NPC host, the governor, the cortex gateway and the organs. Specs compose the same extensions.
    /// </summary>
    public static AkkaConfigurationBuilder WithNimmerverseActors(this AkkaConfigurationBuilder builder, NimmerverseOptions options) =>
        builder
            .WithSupervisorCore(options)
            .WithNervousSystem(options)
            .WithWorld(options)
            .WithNpcHost(options)
            .WithGovernor(options)
            .WithCortex(options)
            .WithOrgans(options)
            .WithDashboard(options);
}
