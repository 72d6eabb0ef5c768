using System.Collections;
using System.Globalization;

namespace Nimmerverse.Testing.Cluster;

/// <summary>
/// Several published supervisors on this machine, each a host of its own (own host name, Akka port and HTTP port) in
/// one cluster, sharing a NATS server and a PostgreSQL database. Every host is a seed node; a host can be killed and
/// started again with the same name and port, as systemd or an operator would.
/// </summary>
public sealed class HostCluster : IAsyncDisposable
{
    private readonly Dictionary<string, Hashtable> _environments = [];
    private readonly Dictionary<string, SupervisorProcess> _hosts = [];
    private readonly List<(string Host, IReadOnlyList<string> Log)> _earlierLogs = [];

    private readonly HostNetwork? _network;

    private HostCluster(string natsUrl, HostNetwork? network) => (NatsUrl, _network) = (natsUrl, network);

    public string NatsUrl { get; }

    public SupervisorProcess this[string host] => _hosts[host];

    public IEnumerable<string> Running => _hosts.Where(h => !h.Value.HasExited).Select(h => h.Key);

    /// <summary>Hosts on loopback (see the overload with a network).</summary>
    public static Task<HostCluster> StartAsync(string natsUrl, string postgres, IReadOnlyList<(string Host, int Capacity)> capacities, params (string Name, string Value)[] settings) =>
        StartAsync(null, natsUrl, postgres, capacities, settings);

    /// <summary>
    /// Hosts named by <paramref name="capacities"/> (host to <c>Npc:Population</c>), started in order, each once the
    /// previous is up; <paramref name="settings"/> apply to all. With a <paramref name="network"/>, each host runs in its
    /// own network namespace of it (Akka on its cluster link, HTTP on its bus link), so a partition can be real; without,
    /// every host is on loopback.
    /// </summary>
    public static async Task<HostCluster> StartAsync(HostNetwork? network, string natsUrl, string postgres, IReadOnlyList<(string Host, int Capacity)> capacities, params (string Name, string Value)[] settings)
    {
        await Published.EnsureAsync().ConfigureAwait(false);
        var cluster = new HostCluster(natsUrl, network);
        foreach (var (host, _) in capacities)
        {
            network?.Add(host);
        }

        var addresses = capacities.Select(c => network?.ClusterAddress(c.Host) ?? "127.0.0.1").ToArray();
        var ports = capacities.Select(_ => Ports.FreeTcpPort()).ToArray();
        // Every host a seed node: a host that restarts joins through whichever of the others answers first.
        var seeds = ports.Select((port, i) => ($"NIMMERVERSE_AKKA__SEEDNODES__{i}", $"akka.tcp://nimmerverse@{addresses[i]}:{port}")).ToArray();
        for (var i = 0; i < capacities.Count; i++)
        {
            var (host, capacity) = capacities[i];
            var environment = SupervisorEnvironment.Local(natsUrl, postgres,
            [
                .. settings, .. seeds,
                ("NIMMERVERSE_HOSTNAME", host),
                ("NIMMERVERSE_AKKA__HOSTNAME", addresses[i]),
                ("NIMMERVERSE_AKKA__PORT", ports[i].ToString(CultureInfo.InvariantCulture)),
                ("NIMMERVERSE_NPC__POPULATION", capacity.ToString(CultureInfo.InvariantCulture)),
                // Each host its own trail spool, as each machine has its own state directory.
                ("NIMMERVERSE_TRAILS__SPOOLPATH", Path.Combine(Path.GetTempPath(), $"nimmerverse-{host}-{Guid.NewGuid():N}.spool")),
            ]);
            if (network is not null)
            {
                environment["NIMMERVERSE_HTTP__LISTEN"] = $"http://{network.BusAddress(host)}:{Ports.FreeTcpPort()}";
            }

            cluster._environments[host] = environment;
            await cluster.StartAsync(host).ConfigureAwait(false);
        }

        return cluster;
    }

    /// <summary>Starts (or starts again) <paramref name="host"/> and waits until it is an up member.</summary>
    public async Task StartAsync(string host)
    {
        if (_hosts.TryGetValue(host, out var old))
        {
            await old.DisposeAsync().ConfigureAwait(false);
            _earlierLogs.Add(($"{host}.{_earlierLogs.Count(l => l.Host == host) + 1}", old.Log));
        }

        _hosts[host] = SupervisorProcess.Start(_environments[host], _network?.Launcher(host));
        await _hosts[host].WaitUntilUpAsync(TimeSpan.FromSeconds(90)).ConfigureAwait(false);
    }

    /// <summary>Every brain on this cluster's bus by NPC id (orphans included), see <see cref="ProcessTree.BrainsOnBus"/>.</summary>
    public IReadOnlyDictionary<int, IReadOnlyList<int>> Brains() => ProcessTree.BrainsOnBus(NatsUrl);

    /// <summary>The host whose supervisor is a brain's parent, or its parent's PID when none is (an orphan).</summary>
    public string HostOf(int brain) => ProcessTree.ParentOf(brain) is { } parent
        ? _hosts.FirstOrDefault(h => !h.Value.HasExited && h.Value.Pid == parent).Key ?? $"parent {parent}"
        : "ended";

    /// <summary>Which host runs each NPC's brain, by the brains' parents (an NPC on two hosts, a twin, is listed with the first).</summary>
    public IReadOnlyDictionary<int, string> Placement() =>
        Running.SelectMany(host => _hosts[host].BrainPids().Keys.Select(id => (id, host))).GroupBy(p => p.id).ToDictionary(g => g.Key, g => g.First().host);

    /// <summary>Each host's whole log so far, one file per host in <paramref name="directory"/> (an earlier run of it: <c>HOST.N.log</c>).</summary>
    public void WriteLogs(string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var (name, log) in _hosts.Select(h => (h.Key, h.Value.Log)).Concat(_earlierLogs))
        {
            File.WriteAllLines(Path.Combine(directory, $"{name}.log"), log);
        }
    }

    public override string ToString() => string.Join("\n", _hosts.Select(h => $"---- {h.Key} ----\n{string.Join('\n', h.Value.Log.TakeLast(60))}"));

    public async ValueTask DisposeAsync()
    {
        // Side by side: each gives its brains their stop timeout.
        await Task.WhenAll(_hosts.Values.Select(h => h.DisposeAsync().AsTask())).ConfigureAwait(false);
    }
}
