using System.Net;
using System.Net.Sockets;

namespace Nimmerverse.Testing;

/// <summary>Waiting for real processes without fixed sleeps.</summary>
public static class Eventually
{
    /// <summary>Polls until <paramref name="condition"/> holds or the deadline passes; returns whether it held.</summary>
    public static async Task<bool> TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan? interval = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition().ConfigureAwait(false))
            {
                return true;
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(200)).ConfigureAwait(false);
        }

        return await condition().ConfigureAwait(false);
    }
}

/// <summary>Loopback ports for servers the tests start.</summary>
public static class Ports
{
    private const int Lowest = 10_000;

    private static readonly HashSet<int> HandedOut = [];

    /// <summary>
    /// A TCP port free on 127.0.0.1 at the moment of asking, below the kernel's ephemeral range. A port the kernel
    /// picked (bind to 0) lies in that range, where any outgoing connection may take it as its local port: a server
    /// that stops and starts again on the same port (a host that returns) then finds it taken.
    /// </summary>
    public static int FreeTcpPort()
    {
        var below = EphemeralLow();
        lock (HandedOut)
        {
            for (var attempt = 0; attempt < 1000; attempt++)
            {
                var port = Random.Shared.Next(Lowest, below);
                if (!HandedOut.Contains(port) && Bindable(port))
                {
                    HandedOut.Add(port);
                    return port;
                }
            }
        }

        throw new InvalidOperationException($"no free TCP port between {Lowest} and {below} after 1000 tries");
    }

    private static bool Bindable(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int EphemeralLow()
    {
        const string range = "/proc/sys/net/ipv4/ip_local_port_range";
        return File.Exists(range) && int.TryParse(File.ReadAllText(range).Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0], out var low) && low > Lowest + 1000
            ? low
            : 32_768;
    }
}
