using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Nimmerverse.Testing.Brains;

/// <summary>A real <c>nimmerverse-brain</c> process for a test: its log lines kept, stopped by signal or killed at the end.</summary>
public sealed class BrainProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();

    private BrainProcess(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, line) => Keep(line.Data);
        _process.OutputDataReceived += (_, line) => Keep(line.Data);
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>What the brain wrote so far, one line per entry.</summary>
    public IReadOnlyList<string> Log => [.. _log];

    public static BrainProcess Start(int id, string natsUrl, double tickRateHz, params string[] more) => StartReading(null, id, natsUrl, tickRateHz, more);

    /// <summary>A brain that reads <paramref name="standardInput"/> (its credentials, with <c>--creds -</c>), as the supervisor starts it.</summary>
    public static BrainProcess StartReading(string? standardInput, int id, string natsUrl, double tickRateHz, params string[] more)
    {
        var start = new ProcessStartInfo(RepositoryPaths.BrainExecutable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = standardInput is not null,
            ArgumentList = { "--id", id.ToString(CultureInfo.InvariantCulture), "--tick-rate", tickRateHz.ToString(CultureInfo.InvariantCulture), "--nats", natsUrl },
        };
        foreach (var argument in more)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("the brain did not start");
        if (standardInput is not null)
        {
            process.StandardInput.Write(standardInput);
            process.StandardInput.Close();
        }

        return new BrainProcess(process);
    }

    /// <summary>SIGTERM, as systemd and the supervisor stop it.</summary>
    public void Terminate() => Process.Start("kill", ["-TERM", Pid.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();

    /// <summary>kill -9: no goodbye, no last checkpoint.</summary>
    public async Task KillHardAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync().ConfigureAwait(false);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout).ConfigureAwait(false);
        return _process.ExitCode;
    }

    public override string ToString() => string.Join('\n', _log);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }

        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _log.Enqueue(line);
            TestContext.Progress.WriteLine($"[brain {Pid}] {line}");
        }
    }
}
