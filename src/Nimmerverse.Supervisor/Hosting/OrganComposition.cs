using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Actors.Organs;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Supervisor.Lifecycle;

namespace Nimmerverse.Supervisor.Hosting;

/// <summary>
/// The organ manager and its door to the bus on the members with the <c>organs</c> role: one of each
/// per host (the host's cards are its own; the NATS queue group shares the requests between hosts).
/// </summary>
public static class OrganComposition
{
    public static IServiceCollection AddNimmerverseOrgans(this IServiceCollection services, NimmerverseOptions options) =>
        !options.EffectiveRoles.Contains(ClusterRoles.Organs)
            ? services
            : services
                .AddSingleton<OrganGauges>()
                .AddSingleton<IStatusContributor, OrganStatusContributor>();

    public static AkkaConfigurationBuilder WithOrgans(this AkkaConfigurationBuilder builder, NimmerverseOptions options) =>
        !options.EffectiveRoles.Contains(ClusterRoles.Organs)
            ? builder
            : builder.WithActors((system, registry, resolver) =>
            {
                // Where the brains run in systemd scopes, so do the organs (in their own slice); else plain children.
                var scopes = resolver.GetService<NpcScopes.NpcBackend>().Scopes;
                var manager = system.ActorOf(OrganManagerActor.Props(options.Organs, scopes is null ? null : scopes.StartOrganScopeAsync), "organ-manager");
                registry.Register<OrganManagerActor>(manager);
                registry.Register<OrganGatewayActor>(system.ActorOf(
                    OrganGatewayActor.Props(
                        options.Organs, registry.Get<NatsBridgeActor>(), registry.Get<LifeforceLedgerActor>(), manager, new Subjects(options.Environment),
                        options.HostName, gauges: resolver.GetService<OrganGauges>(),
                        media: new JetStreamOrganMediaStore(resolver.GetService<NATS.Client.Core.INatsConnection>(), options.Environment)),
                    "organs"));
            });
}
