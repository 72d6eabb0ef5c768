using System.Collections.Concurrent;
using System.Diagnostics;
namespace Nimmerverse.Testing;

/// <summary>A real server process of this repository (a model server, an organ), its log kept, stopped with SIGTERM at the end.</summary>
public class ServedProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();
    private int _disposed;

    protected ServedProcess(Process process, Uri url)
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

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Starts <paramref name="start"/> and waits until <paramref name="url"/>'s <c>/health</c> answers;
    /// a process that exits first ends the wait at once, its log in the exception.
    /// </summary>
    protected static async Task<T> StartAsync<T>(ProcessStartInfo start, Uri url, Func<Process, Uri, T> create)
        where T : ServedProcess
    {
        (start.RedirectStandardOutput, start.RedirectStandardError) = (true, true);
        var server = create(Process.Start(start)!, url);
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
            throw new InvalidOperationException($"{Path.GetFileName(start.FileName)} did not answer /health:\n{server.Log}");
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

    /// <summary>SIGTERM, SIGKILL after 10 s; a second call does nothing (a test may stop it early and still hold it in a using).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

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
