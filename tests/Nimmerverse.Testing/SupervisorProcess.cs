using System.Collections;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Nimmerverse.Testing;

/// <summary>
/// The published supervisor as its own process (what <c>./nimmerverse up</c> runs), for tests that
/// need a process to pause (SIGSTOP), to measure (RSS) or to count the log lines of. Its output is
/// kept line by line; its brains are found as its child processes.
/// </summary>
public sealed class SupervisorProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _log = new();

    private SupervisorProcess(Process process, string httpListen)
    {
        _process = process;
        Http = new HttpClient { BaseAddress = new Uri(httpListen), Timeout = TimeSpan.FromSeconds(5) };
        _process.ErrorDataReceived += (_, line) => Keep(line.Data);
        _process.OutputDataReceived += (_, line) => Keep(line.Data);
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    public int Pid => _process.Id;

    public HttpClient Http { get; }

    /// <summary>What it wrote so far, one line per entry.</summary>
    public IReadOnlyList<string> Log => [.. _log];

    public int LogLines => _log.Count;

    /// <param name="environment">Its <c>NIMMERVERSE_*</c> variables (<see cref="SupervisorEnvironment.Local"/>); logs go to the console.</param>
    /// <param name="launcher">A command that runs it, such as <c>ip netns exec NAME</c> (it must exec, keeping the PID); default none.</param>
    public static SupervisorProcess Start(Hashtable environment, IReadOnlyList<string>? launcher = null)
    {
        var executable = Path.Combine(RepositoryPaths.PublishDirectory, "nimmerverse");
        if (!File.Exists(executable))
        {
            throw new InvalidOperationException($"no published supervisor at {executable}: run ./nimmerverse test");
        }

        var command = (launcher ?? []).Append(executable).ToArray();
        var start = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in command.Skip(1).Append("run"))
        {
            start.ArgumentList.Add(argument);
        }

        foreach (DictionaryEntry variable in environment)
        {
            start.Environment[(string)variable.Key] = (string?)variable.Value;
        }

        start.Environment["NIMMERVERSE_LOGGING__TARGET"] = "console";
        var listen = (string)environment["NIMMERVERSE_HTTP__LISTEN"]!;
        return new SupervisorProcess(Process.Start(start) ?? throw new InvalidOperationException("the supervisor did not start"), listen);
    }

    /// <summary><c>/api/status</c>, once it answers.</summary>
    public async Task<JsonElement> StatusAsync(CancellationToken cancellationToken = default)
    {
        var text = await Http.GetStringAsync(new Uri("/api/status", UriKind.Relative), cancellationToken).ConfigureAwait(false);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Waits until <c>/api/status</c> answers and the cluster member is up.</summary>
    public async Task WaitUntilUpAsync(TimeSpan timeout)
    {
        var exited = false;
        var up = await Eventually.TrueAsync(async () =>
        {
            if (HasExited)
            {
                exited = true;
                return true; // no use waiting: reported below
            }

            try
            {
                var status = await StatusAsync().ConfigureAwait(false);
                return status.GetProperty("members").EnumerateArray().Any(m => m.GetProperty("status").GetString() == "Up");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }, timeout).ConfigureAwait(false);
        if (exited)
        {
            throw new InvalidOperationException($"the supervisor exited before it was up:\n{string.Join('\n', FirstTrouble())}");
        }

        if (!up)
        {
            throw new TimeoutException($"the supervisor did not come up within {timeout}:\n{string.Join('\n', FirstTrouble())}");
        }
    }

    /// <summary>
    /// Forty lines of the log from its first error (journald priority 3 or more urgent), where the cause is, rather
    /// than a stack trace's tail; the last forty lines when there is none.
    /// </summary>
    private IEnumerable<string> FirstTrouble()
    {
        var log = Log.ToArray();
        var first = Array.FindIndex(log, l => l.Length > 2 && l[0] == '<' && l[1] is >= '0' and <= '3');
        return first < 0 ? log.TakeLast(40) : log.Skip(first).Take(40);
    }

    /// <summary>Its brains by NPC id (<see cref="ProcessTree.BrainsOf"/>).</summary>
    public IReadOnlyDictionary<int, int> BrainPids() => ProcessTree.BrainsOf(Pid);

    /// <summary>Resident memory now, in MiB.</summary>
    public double ResidentMiB() => ProcessTree.ResidentMiB(Pid);

    /// <summary>SIGSTOP: the whole process stands still, as under a debugger, a swap storm or a frozen VM.</summary>
    public void Pause() => Signal("STOP");

    public void Resume() => Signal("CONT");

    /// <summary>SIGKILL: no goodbye, no graceful stop of its brains.</summary>
    public async Task KillHardAsync()
    {
        Signal("KILL");
        await _process.WaitForExitAsync().ConfigureAwait(false);
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Its exit code once it has exited, else null.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    public override string ToString() => string.Join('\n', _log);

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            Signal("CONT");
            Signal("TERM");
            try
            {
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().ConfigureAwait(false);
            }
        }

        _process.Dispose();
    }

    private void Signal(string name) => Process.Start("kill", [$"-{name}", Pid.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _log.Enqueue(line);
        }
    }
}
