using System.Net.Sockets;
using System.Text;

namespace Nimmerverse.Supervisor.Lifecycle;

/// <summary>
/// The sd_notify(3) protocol: datagrams of <c>KEY=value</c> lines to <c>$NOTIFY_SOCKET</c>.
/// Outside systemd (no socket) every call is a no-op, so the daemon runs the same in a terminal.
/// </summary>
public sealed class SystemdNotifier : IDisposable
{
    private readonly Socket? _socket;
    private readonly UnixDomainSocketEndPoint? _endPoint;

    public SystemdNotifier(string? notifySocket)
    {
        if (string.IsNullOrEmpty(notifySocket))
        {
            return;
        }

        // A leading '@' names a socket in the abstract namespace, written with a NUL byte.
        _endPoint = new UnixDomainSocketEndPoint(notifySocket[0] == '@' ? "\0" + notifySocket[1..] : notifySocket);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    }

    /// <summary>Reads <c>$NOTIFY_SOCKET</c>.</summary>
    public static SystemdNotifier FromEnvironment() => new(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"));

    /// <summary>True when systemd listens (the unit is <c>Type=notify</c>).</summary>
    public bool IsEnabled => _socket is not null;

    public void Ready(string status) => Notify($"READY=1\nSTATUS={status}");

    public void Status(string status) => Notify($"STATUS={status}");

    public void Stopping(string status) => Notify($"STOPPING=1\nSTATUS={status}");

    public void WatchdogPing() => Notify("WATCHDOG=1");

    public void Notify(string state)
    {
        if (_socket is null)
        {
            return;
        }

        // STATUS= is one line; a newline would start a new (bogus) assignment.
        _socket.SendTo(Encoding.UTF8.GetBytes(state), _endPoint!);
    }

    public void Dispose() => _socket?.Dispose();
}
