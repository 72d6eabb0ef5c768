using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace Nimmerverse.Testing.Nats;

/// <summary>
/// A real nats-server (Debian's package) with JetStream, on a free loopback port and a private
/// store, for one fixture. It can be stopped and started again on the same port, as an outage.
/// </summary>
public sealed class NatsServer : IAsyncDisposable
{
    private readonly string _storeDirectory;
    private Process? _process;

    private NatsServer(int port, string storeDirectory)
    {
        Port = port;
        _storeDirectory = storeDirectory;
    }

    public int Port { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    /// <param name="port">A port chosen beforehand (to start a server where a client already waits); default a free one.</param>
    public static async Task<NatsServer> StartAsync(int? port = null)
    {
        var server = new NatsServer(port ?? Ports.FreeTcpPort(), Directory.CreateTempSubdirectory("nimmerverse-nats-").FullName);
        await server.StartProcessAsync().ConfigureAwait(false);
        return server;
    }

    /// <summary>Stops the server (SIGKILL: an outage, not a goodbye).</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Starts it again on the same port with the same store.</summary>
    public Task RestartAsync() => StartProcessAsync();

    private async Task StartProcessAsync()
    {
        var start = new ProcessStartInfo("nats-server")
        {
            ArgumentList = { "-a", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-js", "-sd", _storeDirectory },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start nats-server (apt-get install nats-server)");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var ready = await Eventually.TrueAsync(() => Task.FromResult(Accepts()), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50)).ConfigureAwait(false);
        if (!ready)
        {
            throw new InvalidOperationException($"nats-server did not listen on {Url} within 10 s");
        }
    }

    private bool Accepts()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect("127.0.0.1", Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _process?.Dispose();
        Directory.Delete(_storeDirectory, recursive: true);
    }
}
