using Akka.Cluster.Hosting;
using Akka.Hosting;
using Nimmerverse.Actors.Governor;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Actors.Npc;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Configuration;

namespace Nimmerverse.Supervisor.Hosting;

/// <summary>
/// One governor per cluster: a singleton on the oldest member with the <c>governor</c> role, and a
/// proxy to it on every member that composes this (the registry's <see cref="GovernorActor"/> is the
/// proxy). Tick rates and gates go over NATS; CPU quotas to the NPC host of the member that runs the
/// NPC, found by its host role.
/// </summary>
public static class GovernorComposition
{
    public const string SingletonName = "governor";

    public static AkkaConfigurationBuilder WithGovernor(this AkkaConfigurationBuilder builder, NimmerverseOptions options) =>
        !options.EffectiveRoles.Contains(ClusterRoles.Governor)
            ? builder
            : builder.WithSingleton<GovernorActor>(
                SingletonName,
                (system, registry, resolver) =>
                {
                    var (settings, npc) = (options.Governor, options.Npc);
                    var npcs = new GovernedNpcs(options.World.Citizens, npc.TickRateHz, npc.Limits.MemoryMaxBytes, npc.Limits.TasksMax);
                    var npcHosts = new ClusterNpcHosts(system, options.HostName, () => registry.TryGet<NpcHostActor>(out var npcHost) ? npcHost : null);
                    return GovernorActor.Props(
                        settings, npcs, registry.Get<NatsBridgeActor>(), new Subjects(options.Environment), () => settings.NewPolicy(npcs), resolver.GetService<IDecisionTrails>(),
                        npcHosts.Find, options.HostName, checkpoints: resolver.GetService<IGovernorCheckpoints>());
                },
                new ClusterSingletonOptions { Role = ClusterRoles.Governor },
                createProxyToo: true);
}
