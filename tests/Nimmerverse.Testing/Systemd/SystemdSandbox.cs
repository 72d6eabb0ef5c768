using System.Globalization;

namespace Nimmerverse.Testing.Systemd;

/// <summary>
/// A real systemd (PID 1 in new PID, mount and UTS namespaces) for tests, booted by
/// <c>tests/harness/systemd-sandbox</c>: private /run, /tmp, /var/tmp, journal,
/// /etc/systemd/system, /etc/nimmerverse and /opt/nimmerverse, a minimal target, and the
/// image's boot-time units masked, so nothing it does reaches the host. Commands run inside
/// through nsenter with the real <c>systemctl</c>, <c>journalctl</c> and <c>busctl</c>.
/// Only one sandbox may run at a time on a machine: systemd owns the cgroup hierarchy.
/// </summary>
public sealed class SystemdSandbox : IAsyncDisposable
{
    private readonly string _script;

    private SystemdSandbox(string script, string stateDirectory, int pid)
    {
        _script = script;
        StateDirectory = stateDirectory;
        Pid = pid;
    }

    /// <summary>The host PID of the sandbox's systemd (PID 1 inside).</summary>
    public int Pid { get; }

    public string StateDirectory { get; }

    /// <summary>journald's native socket inside the sandbox, reachable from the host through /proc.</summary>
    public string JournalSocket => $"/proc/{Pid}/root/run/systemd/journal/socket";

    public static async Task<SystemdSandbox> StartAsync()
    {
        var script = Path.Combine(AppContext.BaseDirectory, "harness", "systemd-sandbox");
        var state = Path.Combine(RepositoryPaths.State, "sandbox", $"{DateTime.UtcNow:yyyyMMddHHmmss}-{Environment.ProcessId}");
        // The checkout and the published binaries must stay visible inside, wherever they are
        // (a CI clone under /tmp would otherwise vanish under the sandbox's private /tmp).
        var result = await ProcessRunner.RunAsync(script, ["start", state, RepositoryPaths.Root, RepositoryPaths.PublishDirectory], timeout: TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        if (result.ExitCode != 0 || !int.TryParse(result.StandardOutput.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            var log = File.Exists(Path.Combine(state, "systemd.log")) ? await File.ReadAllTextAsync(Path.Combine(state, "systemd.log")).ConfigureAwait(false) : "";
            throw new InvalidOperationException($"the systemd sandbox did not boot: {result}\n{log}");
        }

        return new SystemdSandbox(script, state, pid);
    }

    /// <summary>Runs a command inside the sandbox's namespaces.</summary>
    public Task<ProcessResult> RunAsync(IEnumerable<string> command, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null) =>
        ProcessRunner.RunAsync(_script, ["exec", Pid.ToString(CultureInfo.InvariantCulture), .. command], environment, timeout);

    public Task<ProcessResult> SystemctlAsync(params string[] arguments) => RunAsync(["systemctl", "--no-pager", .. arguments]);

    public Task<ProcessResult> JournalctlAsync(params string[] arguments) => RunAsync(["journalctl", "--no-pager", .. arguments]);

    /// <summary>One property of a unit, as <c>systemctl show -p NAME --value</c> gives it.</summary>
    public async Task<string> UnitPropertyAsync(string unit, string property) =>
        (await SystemctlAsync("show", unit, "-p", property, "--value").ConfigureAwait(false)).StandardOutput.Trim();

    /// <summary>Writes a file inside the sandbox (its /etc and /opt are private tmpfs mounts).</summary>
    public async Task WriteFileAsync(string path, string content)
    {
        var hostPath = $"/proc/{Pid}/root{path}";
        Directory.CreateDirectory(Path.GetDirectoryName(hostPath)!);
        await File.WriteAllTextAsync(hostPath, content).ConfigureAwait(false);
    }

    public async Task<string> ReadFileAsync(string path) => await File.ReadAllTextAsync($"/proc/{Pid}/root{path}").ConfigureAwait(false);

    public void DeleteFile(string path) => File.Delete($"/proc/{Pid}/root{path}");

    public async ValueTask DisposeAsync() =>
        await ProcessRunner.RunAsync(_script, ["stop", Pid.ToString(CultureInfo.InvariantCulture)], timeout: TimeSpan.FromSeconds(30)).ConfigureAwait(false);
}
