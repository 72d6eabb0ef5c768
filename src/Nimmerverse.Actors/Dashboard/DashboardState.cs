using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Dashboard;

/// <summary>
/// What the dashboard knows, kept by <see cref="DashboardFeedActor"/> while someone watches: the NPC rows,
/// the gates, the recent waves, the governor's last epoch, lifecycle events and the cluster. Every list is
/// bounded; what changed since the last frame is remembered so that a delta carries only that.
/// </summary>
public sealed class DashboardState(DashboardSettings settings, string environment, string host)
{
    private const string GovernorGatePrefix = "governor.";

    private readonly Dictionary<int, NpcRow> _npcs = [];
    private readonly Dictionary<int, (double CpuMs, DateTimeOffset At)> _lastCpu = [];
    private readonly Dictionary<int, Queue<LearningPoint>> _curves = [];
    private readonly Dictionary<int, Queue<LifecycleEvent>> _npcLifecycle = [];
    private readonly Dictionary<int, string> _hosts = [];
    private readonly Dictionary<string, GateRow> _gates = new(StringComparer.Ordinal);
    private readonly Queue<GateChange> _gateChanges = new();
    private readonly Queue<WavePoint> _waves = new();
    private readonly Queue<LifecycleEvent> _lifecycle = new();
    private readonly Queue<(DateTimeOffset At, int Trails)> _allocations = new();
    private readonly HashSet<int> _changedNpcs = [];
    private readonly HashSet<string> _changedGates = new(StringComparer.Ordinal);
    private readonly List<GateChange> _newGateChanges = [];
    private readonly List<WavePoint> _newWaves = [];
    private readonly List<LifecycleEvent> _newLifecycle = [];
    private GovernorView? _governor;
    private bool _governorChanged;
    private ClusterView? _cluster;
    private bool _clusterChanged;

    /// <summary>Waves the last frame could not carry (more than <see cref="DashboardSettings.MaxWavesPerFrame"/>); counted, not queued.</summary>
    public long WavesThinned { get; private set; }

    public int NpcCount => _npcs.Count;

    public void Npc(NpcStateBody state, DateTimeOffset now)
    {
        var id = state.NpcId;
        var before = _npcs.GetValueOrDefault(id);
        var cpuPercent = before?.CpuPercent;
        // At ten ticks a second the CPU counter moves in scheduler steps: it is measured over a second or more.
        if (!_lastCpu.TryGetValue(id, out var last) || state.CpuMs < last.CpuMs)
        {
            _lastCpu[id] = (state.CpuMs, now);
        }
        else if (now - last.At >= TimeSpan.FromSeconds(1))
        {
            cpuPercent = Math.Round((state.CpuMs - last.CpuMs) / (now - last.At).TotalMilliseconds * 100, 1);
            _lastCpu[id] = (state.CpuMs, now);
        }

        _npcs[id] = new NpcRow(
            id, _hosts.GetValueOrDefault(id), state.Paused ? "paused" : "running", state.Tick, state.TickRateHz, Math.Round(state.MeasuredRateHz, 2),
            before?.CpuQuotaPercent, cpuPercent, Math.Round(state.Lifeforce, 2), state.Level, state.SuccessRate, Math.Round(state.RewardRate, 3),
            state.Epsilon, state.Episode, before?.Restarts ?? 0, before?.GateOpen ?? false, now);
        _changedNpcs.Add(id);

        var curve = _curves.TryGetValue(id, out var points) ? points : _curves[id] = new Queue<LearningPoint>();
        if (curve.Count == 0 || now - curve.Last().At >= settings.CurveSampleEvery)
        {
            Bounded(curve, new LearningPoint(now, state.SuccessRate, state.RewardRate, state.Level), settings.CurvePoints);
        }
    }

    public void Lifecycle(string npcHost, NpcLifecycleBody life, DateTimeOffset now)
    {
        _hosts[life.NpcId] = npcHost;
        var happened = new LifecycleEvent(now, life.NpcId, npcHost, life.Event, life.Restarts, life.Detail);
        Bounded(_lifecycle, happened, DashboardSettings.LifecycleEvents);
        Bounded(_npcLifecycle.TryGetValue(life.NpcId, out var events) ? events : _npcLifecycle[life.NpcId] = new Queue<LifecycleEvent>(), happened, DashboardSettings.LifecycleEventsPerNpc);
        _newLifecycle.Add(happened);
        if (_npcs.TryGetValue(life.NpcId, out var row))
        {
            var ended = life.Event is "exited" or "oom" or "gave-up";
            _npcs[life.NpcId] = row with { Host = npcHost, Restarts = life.Restarts, State = ended ? life.Event : row.State };
            _changedNpcs.Add(life.NpcId);
        }

        _clusterChanged |= _cluster is not null;
    }

    /// <summary>The NPCs a host says it runs: before their next lifecycle event, this is how their host is known.</summary>
    public void Hosted(string npcHost, IReadOnlyList<int> npcIds)
    {
        foreach (var id in npcIds)
        {
            _hosts[id] = npcHost;
            if (_npcs.TryGetValue(id, out var row) && row.Host != npcHost)
            {
                _npcs[id] = row with { Host = npcHost };
                _changedNpcs.Add(id);
            }
        }

        _clusterChanged |= _cluster is not null;
    }

    public void Allocation(AllocationBody allocation, DateTimeOffset now)
    {
        foreach (var npc in allocation.Npcs)
        {
            if (_npcs.TryGetValue(npc.NpcId, out var row))
            {
                _npcs[npc.NpcId] = row with { CpuQuotaPercent = npc.CpuQuotaPercent, GateOpen = npc.GateOpen };
                _changedNpcs.Add(npc.NpcId);
            }
        }

        _allocations.Enqueue((now, allocation.Npcs.Count));
        while (_allocations.Count > 0 && now - _allocations.Peek().At > TimeSpan.FromMinutes(1))
        {
            _allocations.Dequeue();
        }

        var span = Math.Max(1, (now - _allocations.Peek().At).TotalSeconds);
        var trails = _allocations.Count > 1 ? _allocations.Skip(1).Sum(a => a.Trails) / span : 0;
        _governor = new GovernorView(
            allocation.Epoch, allocation.Policy, allocation.Reward, allocation.Npcs.Count, allocation.Npcs.Count(n => n.GateOpen),
            allocation.Npcs.Count == 0 ? 0 : Math.Round(allocation.Npcs.Average(n => n.CpuQuotaPercent), 1), Math.Round(trails, 2), now);
        _governorChanged = true;
        _clusterChanged |= _cluster is not null;
    }

    /// <summary>A gate's threshold crossing. The governor's per-NPC LLM gates show in their NPC's row, not as gates.</summary>
    public void GateTransition(GateTransitionBody transition, DateTimeOffset now)
    {
        if (transition.GateId.StartsWith(GovernorGatePrefix, StringComparison.Ordinal))
        {
            return;
        }

        var change = new GateChange(now, transition.GateId, transition.Domain, Name(transition.FromState), Name(transition.ToState), transition.StateValue, transition.RoutedToTier);
        Bounded(_gateChanges, change, DashboardSettings.GateChanges);
        _newGateChanges.Add(change);
        Gate(transition.Domain, transition.ToState, transition.StateValue, now);
    }

    /// <summary>A gate as the thalamus holds it now; a change of state or value is a change for the next frame.</summary>
    public void Gate(string domain, GateState state, double value, DateTimeOffset now)
    {
        var before = _gates.GetValueOrDefault(domain);
        var name = Name(state);
        var rounded = Math.Round(value, 3);
        if (before is not null && before.State == name && before.Value == rounded)
        {
            return;
        }

        _gates[domain] = new GateRow(domain, name, rounded, before is null || before.State != name ? now : before.ChangedAt);
        _changedGates.Add(domain);
    }

    /// <summary>A wave, by the subject it came on (<c>{env}.nervous...</c>, <c>{env}.organs...</c>), which gives its category.</summary>
    public void Wave(string subject, string domain, string source, double confidence, DateTimeOffset now)
    {
        var category = subject.Split('.') is [_, var part, ..] && part is "nervous" or "organs" ? part : "cognitive";
        var point = new WavePoint(now, domain, source, category, Math.Round(confidence, 3));
        Bounded(_waves, point, DashboardSettings.WavePoints);
        if (_newWaves.Count < settings.MaxWavesPerFrame)
        {
            _newWaves.Add(point);
        }
        else
        {
            WavesThinned++;
        }
    }

    /// <summary>The cluster as the feed sees it; the host CPU figures are added here, from the NPCs' hosts and quotas.</summary>
    public void Cluster(ClusterView cluster)
    {
        _cluster = cluster;
        _clusterChanged = true;
    }

    /// <summary>
    /// Everything, for a new watcher. The changes stay pending for the others' next delta, so that watcher may
    /// see a wave, gate change or lifecycle event again: those at or before the snapshot's time are ones it has.
    /// </summary>
    public DashboardFrame Snapshot(DateTimeOffset now, UpperHalfView? upperHalf)
    {
        MarkSilent(now);
        return new DashboardFrame(
            DashboardFrame.Snapshot, now, environment, host, ClusterWithCpu(), [.. _npcs.Values.OrderBy(n => n.NpcId)], [.. _gates.Values.OrderBy(g => g.Domain, StringComparer.Ordinal)],
            [.. _gateChanges], [.. _waves], _governor, [.. _lifecycle], upperHalf);
    }

    public DashboardFrame Delta(DateTimeOffset now, UpperHalfView? upperHalf)
    {
        MarkSilent(now);
        var frame = new DashboardFrame(
            DashboardFrame.Delta, now, environment, host, _clusterChanged ? ClusterWithCpu() : null, [.. _changedNpcs.Order().Select(id => _npcs[id])],
            [.. _changedGates.Order(StringComparer.Ordinal).Select(domain => _gates[domain])], [.. _newGateChanges], [.. _newWaves],
            _governorChanged ? _governor : null, [.. _newLifecycle], upperHalf);
        ClearChanges();
        return frame;
    }

    public NpcPage Page(int offset, int limit, DateTimeOffset now)
    {
        MarkSilent(now);
        return new NpcPage(_npcs.Count, offset, [.. _npcs.Values.OrderBy(n => n.NpcId).Skip(offset).Take(limit)]);
    }

    public NpcDetail? Detail(int npcId, DateTimeOffset now)
    {
        MarkSilent(now);
        return _npcs.TryGetValue(npcId, out var row)
            ? new NpcDetail(row, [.. _curves.GetValueOrDefault(npcId) ?? []], [.. _npcLifecycle.GetValueOrDefault(npcId) ?? []])
            : null;
    }

    /// <summary>The cluster with each host's NPC CPU, or null before the feed has seen it.</summary>
    public ClusterView? ClusterNow() => ClusterWithCpu();

    public IReadOnlyList<GateRow> Gates() => [.. _gates.Values.OrderBy(g => g.Domain, StringComparer.Ordinal)];

    private ClusterView? ClusterWithCpu() => _cluster is null
        ? null
        : _cluster with
        {
            HostCpuQuotaPercent = _npcs.Values
                .Where(n => n.Host is not null && n.CpuQuotaPercent is not null && n.State is "running" or "paused")
                .GroupBy(n => n.Host!, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => Math.Round(g.Sum(n => n.CpuQuotaPercent!.Value), 1), StringComparer.Ordinal),
        };

    private void MarkSilent(DateTimeOffset now)
    {
        foreach (var row in _npcs.Values.Where(n => n.State is "running" or "paused" && now - n.LastSeen > settings.SilentAfter).ToList())
        {
            _npcs[row.NpcId] = row with { State = "silent" };
            _changedNpcs.Add(row.NpcId);
        }
    }

    private void ClearChanges()
    {
        _changedNpcs.Clear();
        _changedGates.Clear();
        _newGateChanges.Clear();
        _newWaves.Clear();
        _newLifecycle.Clear();
        _governorChanged = false;
        _clusterChanged = false;
    }

    private static string Name(GateState state) => state.ToString().ToLowerInvariant();

    private static void Bounded<T>(Queue<T> queue, T item, int capacity)
    {
        queue.Enqueue(item);
        while (queue.Count > capacity)
        {
            queue.Dequeue();
        }
    }
}
