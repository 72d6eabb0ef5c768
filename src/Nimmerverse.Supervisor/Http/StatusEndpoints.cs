using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Cluster;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Supervisor.Hosting;
using Nimmerverse.Supervisor.Systemd;

namespace Nimmerverse.Supervisor.Http;

/// <summary>A member as <c>/api/status</c> reports it.</summary>
public sealed record MemberReport(string Address, string Status, IReadOnlyList<string> Roles);

/// <summary>The body of <c>/api/status</c>.</summary>
public sealed record StatusReport(
    string Environment,
    string HostName,
    IReadOnlyList<string> Roles,
    string ClusterAddress,
    string Status,
    IReadOnlyList<MemberReport> Members);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(StatusReport))]
internal sealed partial class StatusJsonContext : JsonSerializerContext;

/// <summary><c>/healthz</c> for load balancers and humans, <c>/api/status</c> for the dashboard and scripts.</summary>
public static class StatusEndpoints
{
    private static readonly TimeSpan HealthProbeTimeout = TimeSpan.FromSeconds(2);

    public static IEndpointRouteBuilder MapStatusEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", async (HealthProbe probe, CancellationToken cancellationToken) =>
            await probe.CheckAsync(HealthProbeTimeout, cancellationToken).ConfigureAwait(false)
                ? Results.Text("ok\n")
                : Results.Text("the actor system did not answer the health probe\n", statusCode: StatusCodes.Status503ServiceUnavailable));

        endpoints.MapGet("/api/status", (ActorSystem system, NimmerverseOptions options, StatusLine statusLine) =>
        {
            var cluster = Cluster.Get(system);
            var members = cluster.State.Members
                .Select(m => new MemberReport(m.Address.ToString(), m.Status.ToString(), [.. m.Roles.Order()]))
                .ToList();
            var report = new StatusReport(options.Environment, options.HostName, options.EffectiveRoles, cluster.SelfAddress.ToString(), statusLine.Compose("running"), members);
            return Results.Json(report, StatusJsonContext.Default.StatusReport);
        });
        return endpoints;
    }
}
