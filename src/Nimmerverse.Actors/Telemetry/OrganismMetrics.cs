using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Telemetry;

/// <summary>
/// The organism's own instruments (meter <see cref="MeterName"/>), recorded where things happen: NPCs, gates and
/// the governor. As with the runtime's meters, they are static: an instrument nobody listens to costs a branch,
/// and the gauges are read only when <c>/metrics</c> is scraped. The supervisor adds its counters (NATS, trails,
/// cortex, organs, dashboard) to the same meter.
/// </summary>
public static class OrganismMetrics
{
    public const string MeterName = "Nimmerverse";

    public static readonly Meter Meter = new(MeterName, typeof(OrganismMetrics).Assembly.GetName().Version?.ToString());

    private static readonly ConcurrentDictionary<int, NpcGauge> Npcs = new();
    private static readonly ConcurrentDictionary<string, (GateState State, double Value)> Gates = new(StringComparer.Ordinal);
    private static double? _reward;
    private static double? _price;

    private static readonly Counter<long> NpcRestarts = Meter.CreateCounter<long>("nimmerverse.npc.restarts", description: "Brain restarts after an exit or a lost heartbeat, by NPC");
    private static readonly Counter<long> GateTransitions = Meter.CreateCounter<long>("nimmerverse.gate.transitions", description: "Gate threshold crossings, by domain and the state reached");
    private static readonly Histogram<double> EpochDuration = Meter.CreateHistogram<double>("nimmerverse.governor.epoch.duration", unit: "ms", description: "How long the governor took to decide one epoch");

    static OrganismMetrics()
    {
        Meter.CreateObservableGauge("nimmerverse.npc.tick_rate", () => NpcMeasurements(n => n.TickRateHz), unit: "Hz", description: "Tick rate the NPC was commanded");
        Meter.CreateObservableGauge("nimmerverse.npc.measured_rate", () => NpcMeasurements(n => n.MeasuredRateHz), unit: "Hz", description: "Tick rate the NPC reports it achieves");
        Meter.CreateObservableCounter("nimmerverse.npc.cpu", () => NpcMeasurements(n => n.CpuMs / 1000), unit: "s", description: "CPU time of the NPC's brain since it started");
        Meter.CreateObservableGauge("nimmerverse.npc.cpu_quota", () => NpcMeasurements(n => n.CpuQuotaPercent), unit: "%", description: "CPU quota the governor gave the NPC");
        Meter.CreateObservableGauge("nimmerverse.npc.lifeforce", () => NpcMeasurements(n => n.Lifeforce), description: "The NPC's lifeforce");
        Meter.CreateObservableGauge("nimmerverse.gate.state", () => Gates.Select(g => new Measurement<int>(g.Value.State switch { GateState.Open => 1, GateState.Closed => -1, _ => 0 }, Tag("domain", g.Key))),
            description: "A gate's state: 1 open, 0 stable, -1 closed");
        Meter.CreateObservableGauge("nimmerverse.gate.value", () => Gates.Select(g => new Measurement<double>(g.Value.Value, Tag("domain", g.Key))), description: "A gate's value in [-1, 1]");
        Meter.CreateObservableGauge("nimmerverse.governor.reward", () => _reward is { } reward ? [new Measurement<double>(reward)] : Array.Empty<Measurement<double>>(),
            description: "The village's learning progress per CPU-second over the last epoch (the governor's objective)");
        Meter.CreateObservableGauge("nimmerverse.governor.price", () => _price is { } price ? [new Measurement<double>(price)] : Array.Empty<Measurement<double>>(),
            description: "What a CPU-second had to buy at the governor's latest decision, in progress per CPU-second (a learning policy's; none for a fixed one)");
    }

    /// <summary>An NPC's state, as its host's NPC process actor heard it.</summary>
    public static void NpcState(NpcStateBody state, string host) =>
        Npcs.AddOrUpdate(state.NpcId, _ => new NpcGauge(host, state.TickRateHz, state.MeasuredRateHz, state.CpuMs, null, state.Lifeforce),
            (_, before) => before with { Host = host, TickRateHz = state.TickRateHz, MeasuredRateHz = state.MeasuredRateHz, CpuMs = state.CpuMs, Lifeforce = state.Lifeforce });

    public static void NpcQuota(int npcId, string host, double cpuQuotaPercent) =>
        Npcs.AddOrUpdate(npcId, _ => new NpcGauge(host, 0, 0, 0, cpuQuotaPercent, 0), (_, before) => before with { CpuQuotaPercent = cpuQuotaPercent });

    public static void NpcRestarted(int npcId, string host) => NpcRestarts.Add(1, Tag("npc", npcId), Tag("host", host));

    /// <summary>The NPC's actor stopped: its gauges go (its counters stay, as counters do).</summary>
    public static void NpcGone(int npcId) => Npcs.TryRemove(npcId, out _);

    public static void Gate(string domain, GateState state, double value) => Gates[domain] = (state, value);

    public static void GateCrossed(string domain, GateState to) => GateTransitions.Add(1, Tag("domain", domain), Tag("state", to.ToString().ToLowerInvariant()));

    public static void GovernorEpoch(double reward, double durationMs, double? price)
    {
        (_reward, _price) = (reward, price);
        EpochDuration.Record(durationMs);
    }

    private static IEnumerable<Measurement<double>> NpcMeasurements(Func<NpcGauge, double?> value) =>
        Npcs.Select(n => (n.Key, n.Value, Measured: value(n.Value)))
            .Where(n => n.Measured is not null)
            .Select(n => new Measurement<double>(n.Measured!.Value, Tag("npc", n.Key), Tag("host", n.Value.Host)));

    private static KeyValuePair<string, object?> Tag(string name, object value) => new(name, value);

    private sealed record NpcGauge(string Host, double TickRateHz, double MeasuredRateHz, double CpuMs, double? CpuQuotaPercent, double Lifeforce);
}
