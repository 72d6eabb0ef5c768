using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Nimmerverse.Actors.Cortex;
using Nimmerverse.Actors.Dashboard;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Actors.Organs;
using Nimmerverse.Actors.Thalamus;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Configuration;

namespace Nimmerverse.Supervisor.Hosting;

/// <summary>
/// The dashboard's feed on every member, whatever its roles: it shows the whole cluster from here (what
/// crosses NATS), and this member's own thalamus, cortex and organs where it has them. It is served by the
/// member's own HTTP listener, so the dashboard is never a cluster member of its own.
/// </summary>
public static class DashboardComposition
{
    public static IServiceCollection AddNimmerverseDashboard(this IServiceCollection services) =>
        services.AddSingleton<DashboardCounters>();

    public static AkkaConfigurationBuilder WithDashboard(this AkkaConfigurationBuilder builder, NimmerverseOptions options) =>
        builder.WithActors((system, registry, resolver) =>
        {
            var roles = options.EffectiveRoles;
            registry.Register<DashboardFeedActor>(system.ActorOf(
                DashboardFeedActor.Props(
                    registry.Get<NatsBridgeActor>(), new Subjects(options.Environment), options.Dashboard, options.HostName, options.Governor.HostCpuBudgetPercent,
                    registry.TryGet<ThalamusActor>(out var thalamus) ? thalamus : null,
                    roles.Contains(ClusterRoles.Cortex) ? resolver.GetService<CortexGauges>() : null,
                    roles.Contains(ClusterRoles.Organs) ? resolver.GetService<OrganGauges>() : null,
                    counters: resolver.GetService<DashboardCounters>()),
                "dashboard"));
        });
}
