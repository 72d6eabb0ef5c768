using System.Collections.Concurrent;
using System.Diagnostics;
namespace Nimmerverse.Testing.Nyx;

/// <summary>A real <c>nimmerverse-nyx</c> process serving the shipped tiny model, on a free port (or a given one), stopped with SIGTERM at the end.</summary>
public sealed class NyxServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();

    private NyxServer(Process process, Uri url)
    {
        _process = process;
        Url = url;
        _process.OutputDataReceived += (_, line) => Keep(line.Data);
        _process.ErrorDataReceived += (_, line) => Keep(line.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public Uri Url { get; }

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(240) };

    public string Log => string.Join('\n', _log);

    public static string Executable => RepositoryPaths.NyxExecutable;

    /// <summary>The OpenAI-compatible base URL (<c>…/v1</c>).</summary>
    public Uri ApiBase => new(Url, "/v1");

    /// <summary>Starts it with <c>NIMMERVERSE_NYX__*</c> settings and waits for <c>/health</c>.</summary>
    public static Task<NyxServer> StartAsync(params (string Key, string Value)[] settings) => StartAsync(null, settings);

    /// <summary>Starts it on <paramref name="port"/> (a free one when null) and waits for <c>/health</c>.</summary>
    public static async Task<NyxServer> StartAsync(int? port, params (string Key, string Value)[] settings)
    {
        var url = new Uri($"http://127.0.0.1:{port ?? Ports.FreeTcpPort()}");
        var start = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["NIMMERVERSE_NYX__LISTEN"] = url.ToString().TrimEnd('/');
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        var server = new NyxServer(Process.Start(start)!, url);
        // Until /health answers; a server that exited ends the wait at once (the exception), with its log.
        var healthy = await Eventually.TrueAsync(async () =>
        {
            try
            {
                return (await server.Http.GetAsync(new Uri(url, "/health"))).IsSuccessStatusCode;
            }
            catch (HttpRequestException) when (!server._process.HasExited)
            {
                return false; // not listening yet
            }
        }, TimeSpan.FromSeconds(30)).ContinueWith(t => t.IsCompletedSuccessfully && t.Result, TaskScheduler.Default);
        if (!healthy)
        {
            await server.DisposeAsync();
            throw new InvalidOperationException($"nimmerverse-nyx did not answer /health:\n{server.Log}");
        }

        return server;
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _log.Enqueue(line);
        }
    }

    /// <summary>SIGKILL, as a crash: no answer to anything in flight.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await term!.WaitForExitAsync();
            }

            if (!_process.WaitForExit(10_000))
            {
                _process.Kill();
            }
        }

        _process.Dispose();
        Http.Dispose();
    }
}
