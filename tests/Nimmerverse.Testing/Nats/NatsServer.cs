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

    private readonly string? _config;

    private NatsServer(string address, int port, string storeDirectory, string? config = null)
    {
        Address = address;
        Port = port;
        _storeDirectory = storeDirectory;
        _config = config;
    }

    /// <summary>The address it listens on: loopback, or a test network's bridge (<see cref="Cluster.HostNetwork.BusGateway"/>).</summary>
    public string Address { get; }

    public int Port { get; }

    public string Url => $"nats://{Address}:{Port}";

    /// <param name="port">A port chosen beforehand (to start a server where a client already waits); default a free one.</param>
    /// <param name="config">A configuration file (the NATS identities' <c>nats-server.conf</c>: then every client must authenticate).</param>
    /// <param name="address">The address to listen on; default loopback.</param>
    public static async Task<NatsServer> StartAsync(int? port = null, string? config = null, string address = "127.0.0.1")
    {
        var server = new NatsServer(address, port ?? Ports.FreeTcpPort(), Directory.CreateTempSubdirectory("nimmerverse-nats-").FullName, config);
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

    /// <summary>SIGHUP: the server reads its configuration file again (a key rotation's new account JWTs).</summary>
    public async Task ReloadAsync()
    {
        using var kill = Process.Start("kill", ["-HUP", _process!.Id.ToString(CultureInfo.InvariantCulture)])!;
        await kill.WaitForExitAsync().ConfigureAwait(false);
    }

    /// <summary>Starts it again on the same port with the same store.</summary>
    public Task RestartAsync() => StartProcessAsync();

    private async Task StartProcessAsync()
    {
        var start = new ProcessStartInfo("nats-server")
        {
            ArgumentList = { "-a", Address, "-p", Port.ToString(CultureInfo.InvariantCulture), "-js", "-sd", _storeDirectory },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (_config is not null)
        {
            // Its listen address, port and store still come from the flags above, which win over the file.
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(_config);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start nats-server (apt-get install nats-server)");
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        _process.OutputDataReceived += (_, line) => { if (line.Data is { } text) { output.Enqueue(text); } };
        _process.ErrorDataReceived += (_, line) => { if (line.Data is { } text) { output.Enqueue(text); } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var ready = await Eventually.TrueAsync(() => Task.FromResult(Accepts()), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50)).ConfigureAwait(false);
        if (!ready)
        {
            throw new InvalidOperationException($"nats-server did not listen on {Url} within 10 s:\n{string.Join('\n', output.Where(l => l.Contains("[ERR]", StringComparison.Ordinal) || l.Contains("[FTL]", StringComparison.Ordinal) || l.Contains("[WRN]", StringComparison.Ordinal)).Concat(output.TakeLast(3)))}");
        }
    }

    private bool Accepts()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(Address, Port);
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
