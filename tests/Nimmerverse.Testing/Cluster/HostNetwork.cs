using System.Diagnostics;
using System.Globalization;

namespace Nimmerverse.Testing.Cluster;

/// <summary>
/// Hosts on this machine that can really be cut off from each other: each host is a Linux network namespace with two
/// links, one to a <em>cluster</em> bridge (Akka.Remote between the supervisors) and one to a <em>bus</em> bridge (NATS,
/// the supervisor's HTTP port, and this test process). <see cref="Cut"/> takes a host's cluster link down, a
/// partition as a switch port failing makes it: packets vanish, connections time out, nothing is refused, while the
/// host and its brains keep the bus. PostgreSQL is reached through its Unix socket, which namespaces do not cut.
/// Needs root (CAP_NET_ADMIN) and iproute2.
/// </summary>
public sealed class HostNetwork : IDisposable
{
    private readonly string _prefix;
    private readonly int _subnet;
    private readonly List<string> _hosts = [];

    private HostNetwork(int subnet)
    {
        _subnet = subnet;
        _prefix = $"nvt{subnet}";
        Ip("link", "add", ClusterBridge, "type", "bridge");
        Ip("link", "add", BusBridge, "type", "bridge");
        Ip("addr", "add", $"{ClusterNet}.1/24", "dev", ClusterBridge);
        Ip("addr", "add", $"{BusGateway}/24", "dev", BusBridge);
        Ip("link", "set", ClusterBridge, "up");
        Ip("link", "set", BusBridge, "up");
    }

    /// <summary>This machine's address on the bus bridge: serve NATS here and the hosts reach it.</summary>
    public string BusGateway => $"{BusNet}.1";

    /// <summary>The first three octets of the cluster link's /24 and of the bus link's.</summary>
    private string ClusterNet => $"10.231.{_subnet}";

    private string BusNet => $"10.232.{_subnet}";

    private string ClusterBridge => $"{_prefix}c";

    private string BusBridge => $"{_prefix}b";

    /// <summary>A network with a subnet of its own (chosen at random, so a run's leftovers do not collide).</summary>
    public static HostNetwork Create()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            throw new InvalidOperationException("real network partitions need root on Linux (network namespaces); ./nimmerverse test runs as root");
        }

        return new HostNetwork(Random.Shared.Next(2, 250));
    }

    /// <summary>Adds <paramref name="host"/>: its namespace, its two links and its loopback.</summary>
    public void Add(string host)
    {
        _hosts.Add(host);
        var space = Namespace(host);
        Ip("netns", "add", space);
        Ip("-n", space, "link", "set", "lo", "up");
        Link(host, space, "c", ClusterAddress(host), ClusterBridge);
        Link(host, space, "b", BusAddress(host), BusBridge);
    }

    /// <summary>The network namespace the host's processes run in.</summary>
    public string Namespace(string host) => $"{_prefix}-{host}";

    /// <summary>Where the host's Akka.Remote listens and its peers reach it.</summary>
    public string ClusterAddress(string host) => $"{ClusterNet}.{HostIndex(host)}";

    /// <summary>Where the host's HTTP port listens, reachable from this process through a partition.</summary>
    public string BusAddress(string host) => $"{BusNet}.{HostIndex(host)}";

    /// <summary>The command prefix that runs a program inside the host's namespace.</summary>
    public IReadOnlyList<string> Launcher(string host) => ["ip", "netns", "exec", Namespace(host)];

    /// <summary>The host's cluster link goes down: it and the others no longer hear each other.</summary>
    public void Cut(string host) => Ip("link", "set", RootEnd(host, "c"), "down");

    /// <summary>The host's cluster link comes back.</summary>
    public void Heal(string host) => Ip("link", "set", RootEnd(host, "c"), "up");

    public void Dispose()
    {
        foreach (var host in _hosts)
        {
            Run("netns", "del", Namespace(host)); // its veth pairs go with it
        }

        Run("link", "del", ClusterBridge);
        Run("link", "del", BusBridge);
    }

    private int HostIndex(string host) => _hosts.IndexOf(host) is var i and >= 0 ? i + 10 : throw new ArgumentException($"no host {host} in this network", nameof(host));

    private string RootEnd(string host, string kind) => $"{_prefix}{HostIndex(host)}{kind}r";

    private void Link(string host, string space, string kind, string address, string bridge)
    {
        var inside = $"{_prefix}{HostIndex(host)}{kind}";
        Ip("link", "add", inside, "type", "veth", "peer", "name", RootEnd(host, kind));
        Ip("link", "set", inside, "netns", space);
        Ip("link", "set", RootEnd(host, kind), "master", bridge, "up");
        Ip("-n", space, "addr", "add", $"{address}/24", "dev", inside);
        Ip("-n", space, "link", "set", inside, "up");
    }

    private static void Ip(params string[] arguments)
    {
        if (Run(arguments) is { Length: > 0 } problem)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', arguments)}: {problem}");
        }
    }

    /// <summary>Runs ip; what went wrong, or empty.</summary>
    private static string Run(params string[] arguments)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not run ip (apt-get install iproute2)");
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"exit {process.ExitCode}: {error.Trim()}");
    }
}
