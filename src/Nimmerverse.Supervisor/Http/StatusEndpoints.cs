using System.Text.Json;
using System.Text.Json.Serialization;
using NATS.Client.Core;
using Nimmerverse.Actors.Cortex;
using Nimmerverse.Actors.Organs;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Actors.Supervision;
using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Supervisor.Hosting;
using Nimmerverse.Supervisor.Lifecycle;

namespace Nimmerverse.Supervisor.Http;

/// <summary>A member as <c>/api/status</c> reports it.</summary>
public sealed record MemberReport(string Address, string Status, IReadOnlyList<string> Roles);

/// <summary>One subscription of the bridge: the subject pattern, the message type it carries, the actor it feeds.</summary>
public sealed record SubscriptionReport(string Subject, string MessageType, string Actor);

/// <summary>
/// The NATS bridge as <c>/api/status</c> reports it: connection state and every counter, rejections and
/// drops by reason, publishes and subscriptions the server refused by identity (<c>supervisor</c>, <c>npc-3</c>),
/// and what it subscribes to.
/// </summary>
public sealed record NatsReport(
    string State,
    long Received,
    long Delivered,
    long Published,
    long DurablePublished,
    long Disconnects,
    IReadOnlyDictionary<string, long> Rejected,
    IReadOnlyDictionary<string, long> Dropped,
    IReadOnlyDictionary<string, long> PermissionViolations,
    IReadOnlyList<SubscriptionReport> Subscriptions)
{
    public static NatsReport From(INatsConnection connection, BridgeStats stats, IReadOnlyList<SubscriptionReport> subscriptions) => new(
        connection.ConnectionState.ToString().ToLowerInvariant(),
        stats.Received,
        stats.Delivered,
        stats.Published,
        stats.DurablePublished,
        stats.Disconnects,
        stats.Rejected.ToDictionary(r => JsonNamingPolicy.SnakeCaseLower.ConvertName(r.Key.ToString()), r => r.Value),
        stats.Dropped.ToDictionary(d => JsonNamingPolicy.SnakeCaseLower.ConvertName(d.Key.ToString()), d => d.Value),
        stats.PermissionViolations,
        subscriptions);
}

/// <summary>The supervisor's own actors as <c>/api/status</c> reports them: restarts per actor, and those stopped for good.</summary>
public sealed record ActorsReport(long Restarts, IReadOnlyDictionary<string, long> RestartsByActor, IReadOnlyList<StoppedActor> Stopped)
{
    public static ActorsReport From(SupervisionStats stats) => new(stats.Restarts, stats.RestartsByActor, stats.Stopped);
}

/// <summary>
/// The body of <c>/api/status</c>. <see cref="Cortex"/> and <see cref="Boundary"/> are there where the member has the
/// <c>cortex</c> role: the gateway's endpoint, breaker, queue and outcomes since start; the boundary's
/// outcomes (<c>assessed</c>, <c>retries</c>, <c>nacked</c>, <c>routed</c>, <c>unroutable</c>...). <see cref="Organs"/>
/// is there where it has the <c>organs</c> role: each organ's state, card, process and answers, refusals and failures.
/// </summary>
public sealed record StatusReport(
    string Environment,
    string HostName,
    IReadOnlyList<string> Roles,
    string ClusterAddress,
    string Status,
    IReadOnlyList<MemberReport> Members,
    NatsReport Nats,
    ActorsReport Actors,
    CortexGatewayMessages.Status? Cortex,
    IReadOnlyDictionary<string, long>? Boundary,
    OrganGatewayMessages.OrgansStatus? Organs);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StatusReport))]
internal sealed partial class StatusJsonContext : JsonSerializerContext;

/// <summary>
/// <c>/healthz</c> (and <c>/healthz/live</c>: the actor system answers) for the watchdog and load balancers, <c>/healthz/ready</c>
/// (cluster member Up, NATS open, PostgreSQL answers) for whoever routes work here, <c>/api/status</c> for people and scripts.
/// </summary>
public static class StatusEndpoints
{
    private static readonly TimeSpan HealthProbeTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan SubscriptionsTimeout = TimeSpan.FromSeconds(2);

    public static IEndpointRouteBuilder MapStatusEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // Liveness under both names: /healthz for the watchdog's and older probes, /healthz/live beside /healthz/ready.
        foreach (var path in new[] { "/healthz", "/healthz/live" })
        {
            endpoints.MapGet(path, async (HealthProbe probe, CancellationToken cancellationToken) =>
                await probe.CheckAsync(HealthProbeTimeout, cancellationToken).ConfigureAwait(false)
                    ? Results.Text("ok\n")
                    : Results.Text("the actor system did not answer the health probe\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        }

        endpoints.MapGet("/healthz/ready", async (ActorSystem system, INatsConnection nats, Npgsql.NpgsqlDataSource database, CancellationToken cancellationToken) =>
        {
            var checks = new (string Name, string? Problem)[]
            {
                ("cluster", Cluster.Get(system).SelfMember.Status == MemberStatus.Up ? null : $"this member is {Cluster.Get(system).SelfMember.Status}, not Up"),
                ("nats", nats.ConnectionState == NatsConnectionState.Open ? null : $"the connection is {nats.ConnectionState}"),
                ("postgresql", await DatabaseProblemAsync(database, cancellationToken).ConfigureAwait(false)),
            };
            var text = string.Concat(checks.Select(c => $"{c.Name}: {c.Problem ?? "ok"}\n"));
            return checks.All(c => c.Problem is null)
                ? Results.Text("ready\n" + text)
                : Results.Text("not ready\n" + text, statusCode: StatusCodes.Status503ServiceUnavailable);
        });

        endpoints.MapGet("/api/status", async (ActorSystem system, ActorRegistry registry, NimmerverseOptions options, StatusLine statusLine, INatsConnection nats, BridgeCounters counters, SupervisionCounters supervision, IServiceProvider services) =>
        {
            var subscriptions = await SubscriptionsAsync(registry).ConfigureAwait(false);
            var cluster = Cluster.Get(system);
            var members = cluster.State.Members
                .Select(m => new MemberReport(m.Address.ToString(), m.Status.ToString(), [.. m.Roles.Order()]))
                .ToList();
            var report = new StatusReport(options.Environment, options.HostName, options.EffectiveRoles, cluster.SelfAddress.ToString(), statusLine.Compose("running"), members, NatsReport.From(nats, counters.Snapshot(), subscriptions), ActorsReport.From(supervision.Snapshot()), (services.GetService(typeof(CortexGauges)) as CortexGauges)?.Latest, (services.GetService(typeof(BoundaryCounters)) as BoundaryCounters)?.Snapshot(),
                (services.GetService(typeof(OrganGauges)) as OrganGauges)?.Latest);
            return Results.Json(report, StatusJsonContext.Default.StatusReport);
        });
        return endpoints;
    }

    /// <summary>Null when PostgreSQL answers a query within the probe's timeout, else why not.</summary>
    private static async Task<string?> DatabaseProblemAsync(Npgsql.NpgsqlDataSource database, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(HealthProbeTimeout);
        try
        {
            await using var command = database.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(timeout.Token).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"no answer within {HealthProbeTimeout.TotalSeconds:0} s";
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException)
        {
            return e.GetBaseException().Message.ReplaceLineEndings(" ");
        }
    }

    /// <summary>The bridge's subscriptions; empty if it does not answer in time (the status must answer even then).</summary>
    private static async Task<IReadOnlyList<SubscriptionReport>> SubscriptionsAsync(ActorRegistry registry)
    {
        try
        {
            var answer = await registry.Get<NatsBridgeActor>().Ask<NatsBridgeMessages.Subscriptions>(NatsBridgeMessages.GetSubscriptions.Instance, SubscriptionsTimeout).ConfigureAwait(false);
            return [.. answer.All.Select(s => new SubscriptionReport(s.Pattern.ToString(), s.MessageType, s.Target)).OrderBy(s => s.Subject, StringComparer.Ordinal).ThenBy(s => s.Actor, StringComparer.Ordinal)];
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException or MissingActorRegistryEntryException)
        {
            return [];
        }
    }
}
