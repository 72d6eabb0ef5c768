using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Nimmerverse.Actors.Cortex;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Supervisor.Lifecycle;

namespace Nimmerverse.Supervisor.Hosting;

/// <summary>
/// The cortex gateway and the Function Gemma boundary on the members with the <c>cortex</c> role: one
/// gateway per member (the NATS queue group shares the requests), one boundary per member.
/// </summary>
public static class CortexComposition
{
    public static IServiceCollection AddNimmerverseCortex(this IServiceCollection services, NimmerverseOptions options) =>
        !options.EffectiveRoles.Contains(ClusterRoles.Cortex)
            ? services
            : services
                .AddSingleton<CortexGauges>()
                .AddSingleton<BoundaryCounters>()
                .AddSingleton<ICortexEndpoint>(_ => OpenAiCortexEndpoint.From(options.Cortex))
                .AddSingleton<IStatusContributor, CortexStatusContributor>();

    public static AkkaConfigurationBuilder WithCortex(this AkkaConfigurationBuilder builder, NimmerverseOptions options) =>
        !options.EffectiveRoles.Contains(ClusterRoles.Cortex)
            ? builder
            : builder.WithActors((system, registry, resolver) =>
            {
                var (bridge, subjects) = (registry.Get<NatsBridgeActor>(), new Subjects(options.Environment));
                registry.Register<CortexGatewayActor>(system.ActorOf(
                    CortexGatewayActor.Props(
                        options.Cortex, bridge, registry.Get<LifeforceLedgerActor>(), subjects,
                        resolver.GetService<ICortexEndpoint>(), options.HostName, gauges: resolver.GetService<CortexGauges>()),
                    "cortex"));
                registry.Register<BoundaryActor>(system.ActorOf(
                    BoundaryActor.Props(
                        options.Boundary, bridge, subjects, OpenAiCortexEndpoint.From(options.Boundary, options.Cortex), options.HostName, resolver.GetService<BoundaryCounters>()),
                    "boundary"));
            });
}
