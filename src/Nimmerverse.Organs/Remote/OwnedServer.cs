using System.Diagnostics;
using System.Net.Sockets;
using Nimmerverse.Organs.Local;

namespace Nimmerverse.Organs.Remote;

/// <summary>
/// The model server an organ owns (a lab speech server, vLLM): started when the organ loads, ready
/// when its port takes connections (such servers open it once their model is loaded), and stopped
/// with the organ, so that unloading the organ still gives the card back.
/// </summary>
public sealed class OwnedServer : IDisposable
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);
    private readonly Process _process;

    private OwnedServer(Process process) => _process = process;

    public int Pid => _process.Id;

    /// <summary>Starts <paramref name="command"/> and waits, at most <paramref name="timeout"/>, until <paramref name="endpoint"/>'s port takes a connection.</summary>
    /// <exception cref="OrganLoadException">It could not start, exited first, or was not ready in time.</exception>
    public static OwnedServer Start(IReadOnlyList<string> command, Uri endpoint, TimeSpan timeout)
    {
        Process process;
        try
        {
            var start = new ProcessStartInfo(command[0], command.Skip(1)) { UseShellExecute = false };
            // The server's configuration is its own: the organ's settings stay with the organ.
            foreach (var organSetting in start.Environment.Keys.Where(k => k.StartsWith("NIMMERVERSE_ORGAN__", StringComparison.Ordinal)).ToList())
            {
                start.Environment.Remove(organSetting);
            }

            process = Process.Start(start) ?? throw new OrganLoadException($"could not start the model server '{command[0]}'");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new OrganLoadException($"could not start the model server '{command[0]}': {e.Message}");
        }

        var server = new OwnedServer(process);
        var clock = Stopwatch.StartNew();
        while (!Accepts(endpoint))
        {
            if (process.HasExited)
            {
                var exitCode = process.ExitCode;
                server.Dispose();
                throw new OrganLoadException($"the model server '{command[0]}' exited with {exitCode} before it listened on {endpoint.Authority}");
            }

            if (clock.Elapsed > timeout)
            {
                server.Dispose();
                throw new OrganLoadException($"the model server '{command[0]}' did not listen on {endpoint.Authority} within {timeout.TotalSeconds:F0} s");
            }

            Thread.Sleep(100);
        }

        return server;
    }

    private static bool Accepts(Uri endpoint)
    {
        try
        {
            using var probe = new TcpClient();
            probe.Connect(endpoint.Host, endpoint.Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>SIGTERM, then SIGKILL after a grace; returns once it has exited.</summary>
    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Shared.Signals.Send(_process.Id, Shared.Signals.Term);
            if (!_process.WaitForExit(StopGrace))
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
        }

        _process.Dispose();
    }
}
