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
    /// <summary>A TCP port free on 127.0.0.1 at the moment of asking.</summary>
    public static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
