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
