using System.Text.Json;
using System.Text.Json.Serialization;
using NATS.Client.Core;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Actors.Supervision;
using Akka.Actor;
using Akka.Cluster;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Supervisor.Hosting;
using Nimmerverse.Supervisor.Lifecycle;

namespace Nimmerverse.Supervisor.Http;

/// <summary>A member as <c>/api/status</c> reports it.</summary>
public sealed record MemberReport(string Address, string Status, IReadOnlyList<string> Roles);

/// <summary>The NATS bridge as <c>/api/status</c> reports it: connection state and every counter, rejections and drops by reason.</summary>
public sealed record NatsReport(
    string State,
    long Received,
    long Delivered,
    long Published,
    long DurablePublished,
    long Disconnects,
    IReadOnlyDictionary<string, long> Rejected,
    IReadOnlyDictionary<string, long> Dropped)
{
    public static NatsReport From(INatsConnection connection, BridgeStats stats) => new(
        connection.ConnectionState.ToString().ToLowerInvariant(),
        stats.Received,
        stats.Delivered,
        stats.Published,
        stats.DurablePublished,
        stats.Disconnects,
        stats.Rejected.ToDictionary(r => JsonNamingPolicy.SnakeCaseLower.ConvertName(r.Key.ToString()), r => r.Value),
        stats.Dropped.ToDictionary(d => JsonNamingPolicy.SnakeCaseLower.ConvertName(d.Key.ToString()), d => d.Value));
}

/// <summary>The supervisor's own actors as <c>/api/status</c> reports them: restarts per actor, and those stopped for good.</summary>
public sealed record ActorsReport(long Restarts, IReadOnlyDictionary<string, long> RestartsByActor, IReadOnlyList<StoppedActor> Stopped)
{
    public static ActorsReport From(SupervisionStats stats) => new(stats.Restarts, stats.RestartsByActor, stats.Stopped);
}

/// <summary>The body of <c>/api/status</c>.</summary>
public sealed record StatusReport(
    string Environment,
    string HostName,
    IReadOnlyList<string> Roles,
    string ClusterAddress,
    string Status,
    IReadOnlyList<MemberReport> Members,
    NatsReport Nats,
    ActorsReport Actors);

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

        endpoints.MapGet("/api/status", (ActorSystem system, NimmerverseOptions options, StatusLine statusLine, INatsConnection nats, BridgeCounters counters, SupervisionCounters supervision) =>
        {
            var cluster = Cluster.Get(system);
            var members = cluster.State.Members
                .Select(m => new MemberReport(m.Address.ToString(), m.Status.ToString(), [.. m.Roles.Order()]))
                .ToList();
            var report = new StatusReport(options.Environment, options.HostName, options.EffectiveRoles, cluster.SelfAddress.ToString(), statusLine.Compose("running"), members, NatsReport.From(nats, counters.Snapshot()), ActorsReport.From(supervision.Snapshot()));
            return Results.Json(report, StatusJsonContext.Default.StatusReport);
        });
        return endpoints;
    }
}
