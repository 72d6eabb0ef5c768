using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using NATS.Client.Core;
using Nimmerverse.Actors.Cortex;
using Nimmerverse.Actors.Dashboard;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Actors.Organs;
using Nimmerverse.Actors.Supervision;
using Nimmerverse.Actors.Telemetry;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Persistence;

namespace Nimmerverse.Supervisor.Telemetry;

/// <summary>
/// What this supervisor already counts, as instruments: the NATS bridge, its own actors, the decision trails,
/// the cortex and organs where it has them, and the dashboard. Each is read from its counter when
/// <c>/metrics</c> is scraped, never pushed. The meter is this host's (one per supervisor in a process) and goes
/// with it.
/// </summary>
public sealed class SupervisorMetrics : IDisposable
{
    private readonly Meter _meter = new(OrganismMetrics.MeterName + ".Supervisor");

    public SupervisorMetrics(IServiceProvider services)
    {
        var (nats, bridge, supervision, dashboard) = (services.GetRequiredService<INatsConnection>(), services.GetRequiredService<BridgeCounters>(), services.GetRequiredService<SupervisionCounters>(), services.GetRequiredService<DashboardCounters>());
        Counter("nimmerverse.nats.received", () => bridge.Snapshot().Received, "Messages received from NATS");
        Counter("nimmerverse.nats.delivered", () => bridge.Snapshot().Delivered, "Messages received, valid, and delivered to an actor");
        Counter("nimmerverse.nats.published", () => bridge.Snapshot().Published, "Messages published (core NATS)");
        Counter("nimmerverse.nats.durable_published", () => bridge.Snapshot().DurablePublished, "Messages published to JetStream and acknowledged");
        Counter("nimmerverse.nats.disconnects", () => bridge.Snapshot().Disconnects, "Times the NATS connection was lost");
        ByName("nimmerverse.nats.rejected", "reason", () => bridge.Snapshot().Rejected.Select(r => (Name(r.Key), r.Value)), "Messages refused before any actor saw them, by reason");
        ByName("nimmerverse.nats.dropped", "reason", () => bridge.Snapshot().Dropped.Select(d => (Name(d.Key), d.Value)), "Valid messages not delivered, by reason");
        ByName("nimmerverse.nats.permission_violations", "identity", () => bridge.Snapshot().PermissionViolations.Select(p => (p.Key, p.Value)), "Publishes and subscriptions the server refused, by identity");
        _meter.CreateObservableGauge("nimmerverse.nats.connected", () => nats.ConnectionState == NatsConnectionState.Open ? 1 : 0, description: "1 while the NATS connection is open");
        ByName("nimmerverse.actor.restarts", "actor", () => supervision.Snapshot().RestartsByActor.Select(r => (r.Key, r.Value)), "Restarts of the supervisor's own actors");

        if (services.GetService<DecisionTrailRecorder>() is { } trails)
        {
            Counter("nimmerverse.trails.stored", () => trails.Stored, "Decision trails stored in PostgreSQL");
            Counter("nimmerverse.trails.spooled", () => trails.Spooled, "Decision trails spooled to disk while PostgreSQL was away");
            Counter("nimmerverse.trails.lost", () => trails.Lost, "Decision trails lost (the queue and the spool were full)");
        }

        if (services.GetService<CortexGauges>() is { } cortex)
        {
            _meter.CreateObservableGauge("nimmerverse.cortex.queued", () => cortex.Latest?.Queued ?? 0, description: "Cortex requests waiting for the model");
            _meter.CreateObservableGauge("nimmerverse.cortex.in_flight", () => cortex.Latest?.InFlight ?? 0, description: "Cortex requests with the model now");
            Counter("nimmerverse.cortex.answered", () => cortex.Latest?.Answered ?? 0, "Cortex requests answered");
            ByName("nimmerverse.cortex.refused", "reason", () => cortex.Latest?.Refused.Select(r => (r.Key, r.Value)) ?? [], "Cortex requests refused, by reason");
        }

        if (services.GetService<OrganGauges>() is { } organs)
        {
            _meter.CreateObservableGauge("nimmerverse.organ.loaded", () => Organs(organs, o => o.State is OrganStates.Ready or OrganStates.Processing ? 1 : 0), description: "1 while the organ's model is loaded on a card");
            _meter.CreateObservableGauge("nimmerverse.organ.in_hand", () => Organs(organs, o => o.InHand), description: "Requests for the organ waiting or in the organ");
            _meter.CreateObservableCounter("nimmerverse.organ.answered", () => Organs(organs, o => o.Answered), description: "Requests the organ answered");
        }

        _meter.CreateObservableGauge("nimmerverse.dashboard.watchers", () => dashboard.WatchersNow, description: "Browsers and streams watching the dashboard");
        _meter.CreateObservableGauge("nimmerverse.dashboard.listening", () => dashboard.Listening ? 1 : 0, description: "1 while the dashboard's feed subscribes to NATS and the cluster");
        Counter("nimmerverse.dashboard.frames", () => dashboard.Frames, "Dashboard frames sent");
        Counter("nimmerverse.dashboard.frame_bytes", () => dashboard.FrameBytes, "Bytes of dashboard frames, counted once however many watch", unit: "By");
    }

    public void Dispose() => _meter.Dispose();

    private static string Name<T>(T value) where T : struct, Enum => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());

    private static IEnumerable<Measurement<long>> Organs(OrganGauges organs, Func<OrganGatewayMessages.OrganReport, long> value) =>
        organs.Latest?.Organs.Select(o => new Measurement<long>(value(o.Value), new KeyValuePair<string, object?>("organ", o.Key))) ?? [];

    private void Counter(string name, Func<long> value, string description, string? unit = null) =>
        _meter.CreateObservableCounter(name, value, unit, description);

    private void ByName(string name, string tag, Func<IEnumerable<(string Name, long Value)>> values, string description) =>
        _meter.CreateObservableCounter(name, () => values().Select(v => new Measurement<long>(v.Value, new KeyValuePair<string, object?>(tag, v.Name))), description: description);
}
