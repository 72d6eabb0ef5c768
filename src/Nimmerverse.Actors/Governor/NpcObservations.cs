using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Governor;

/// <summary>
/// What the governor knows of each NPC: its latest valid state, the state it had at the last
/// epoch (for CPU used and learning progress over the epoch), when it was last heard from, and
/// its host. States with impossible values never get in; they are counted by reason.
/// </summary>
public sealed class NpcObservations(int knownNpcIds, string defaultHost)
{
    private readonly Dictionary<int, Observation> _npcs = [];
    private readonly Dictionary<string, long> _rejected = new(StringComparer.Ordinal);
    /// <summary>Which host runs each NPC, kept apart from the observations: a brain's "spawned" comes before its first state.</summary>
    private readonly Dictionary<int, string> _hosts = [];

    public sealed class Observation(NpcStateBody state, DateTimeOffset at, NpcObservations owner)
    {
        public NpcStateBody Latest { get; set; } = state;

        /// <summary>The state as it was at the previous epoch (null before the NPC's first epoch).</summary>
        public NpcStateBody? AtLastEpoch { get; set; }

        public DateTimeOffset LastSeen { get; set; } = at;

        public DateTimeOffset? LastEpochAt { get; set; }

        /// <summary>Its cortex calls since the last epoch: how many, their time in the queue and in the call, in all, and the lifeforce they cost.</summary>
        public (int Calls, double QueueMs, double LatencyMs, double Lifeforce) Cortex { get; set; }

        /// <summary>The host that runs the NPC, as its hosts' lifecycle events last said.</summary>
        public string Host => owner.HostOf(Latest.NpcId);
    }

    /// <summary>Rejected states by reason (a reason names the field, never the value, so there are few).</summary>
    public IReadOnlyDictionary<string, long> Rejected => _rejected;

    public int Count => _npcs.Count;

    /// <summary>Takes a state, or rejects it with a reason (also counted).</summary>
    public string? Accept(NpcStateBody state, DateTimeOffset at)
    {
        if (Problem(state) is { } problem)
        {
            _rejected[problem] = _rejected.GetValueOrDefault(problem) + 1;
            return problem;
        }

        if (_npcs.TryGetValue(state.NpcId, out var known))
        {
            (known.Latest, known.LastSeen) = (state, at);
        }
        else
        {
            _npcs[state.NpcId] = new Observation(state, at, this);
        }

        return null;
    }

    /// <summary>A new brain process runs the NPC: its counters start again, so its next epoch is its first.</summary>
    public void Restarted(int npcId)
    {
        if (_npcs.TryGetValue(npcId, out var known))
        {
            (known.AtLastEpoch, known.LastEpochAt, known.Cortex) = (null, null, default);
        }
    }

    /// <summary>Requests waiting at the cortex gateway, as its latest trail said.</summary>
    public int CortexQueueDepth { get; set; }

    /// <summary>A cortex call of an NPC ended (answered or failed): its waits and cost count toward the NPC's next epoch.</summary>
    public void CortexCall(int npcId, double queueMs, double latencyMs, double lifeforce)
    {
        if (_npcs.TryGetValue(npcId, out var known) && double.IsFinite(queueMs) && double.IsFinite(latencyMs) && double.IsFinite(lifeforce))
        {
            var (calls, queued, called, spent) = known.Cortex;
            known.Cortex = (calls + 1, queued + Math.Max(queueMs, 0), called + Math.Max(latencyMs, 0), spent + Math.Max(lifeforce, 0));
        }
    }

    /// <summary>Records which host runs an NPC (from the hosts' lifecycle events).</summary>
    public void Place(int npcId, string host)
    {
        if (npcId < 0 || npcId >= knownNpcIds)
        {
            return;
        }

        _hosts[npcId] = host;
    }

    /// <summary>The host that runs an NPC: the last one a lifecycle event named, else this governor's own.</summary>
    public string HostOf(int npcId) => _hosts.GetValueOrDefault(npcId, defaultHost);

    /// <summary>NPCs heard from within <paramref name="silence"/>, by id; the silent ones are absent and forgotten.</summary>
    public IReadOnlyList<(int NpcId, Observation Observation)> Present(DateTimeOffset now, TimeSpan silence)
    {
        foreach (var gone in _npcs.Where(n => now - n.Value.LastSeen > silence).Select(n => n.Key).ToList())
        {
            _npcs.Remove(gone);
        }

        return [.. _npcs.OrderBy(n => n.Key).Select(n => (n.Key, n.Value))];
    }

    private string? Problem(NpcStateBody s)
    {
        if (s.NpcId < 0 || s.NpcId >= knownNpcIds)
        {
            return "unknown npc_id";
        }

        double[] all = [s.TickRateHz, s.MeasuredRateHz, s.TickLagMs, s.SuccessRate, s.RewardRate, s.Loss, s.Lifeforce, s.CpuMs, s.Epsilon];
        if (all.Any(v => !double.IsFinite(v)))
        {
            return "not a finite number";
        }

        return s.TickRateHz <= 0 || s.MeasuredRateHz < 0 ? "negative or zero rate"
            : s.TickLagMs < 0 || s.CpuMs < 0 || s.Tick < 0 || s.Steps < 0 ? "negative counter"
            : s.SuccessRate is < 0 or > 1 ? "success_rate outside 0..1"
            : s.Epsilon is < 0 or > 1 ? "epsilon outside 0..1"
            : null;
    }
}
