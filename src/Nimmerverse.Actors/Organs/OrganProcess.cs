using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Nimmerverse.Actors.Organs;

/// <summary>
/// One loaded organ: a <c>nimmerverse-organ</c> child process on a loopback port, with its card in
/// <c>CUDA_VISIBLE_DEVICES</c>. Unloading is the process ending; <see cref="Exited"/> completes
/// when it has (reaped: its memory is back), whoever ended it.
/// </summary>
public sealed class OrganProcess : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private OrganProcess(Process process, Uri address)
    {
        _process = process;
        Pid = process.Id;
        Client = new OrganClient(address);
        _process.EnableRaisingEvents = true;
        _process.Exited += (_, _) => _exited.TrySetResult(_process.ExitCode);
        if (_process.HasExited)
        {
            _exited.TrySetResult(_process.ExitCode);
        }
    }

    public int Pid { get; }

    public OrganClient Client { get; }

    /// <summary>Completes with the exit code once the process has ended and been reaped.</summary>
    public Task<int> Exited => _exited.Task;

    /// <summary>
    /// Starts the organ and waits until its <c>/health</c> answers (it has loaded), at most
    /// <paramref name="loadTimeout"/>; a process that exits first, or a load cancelled, is stopped
    /// and the wait ends at once. <paramref name="contain"/>, when given, is called with the new
    /// process's id before it has loaded anything (where systemd runs, it puts the process in its
    /// scope); if it fails, the process is stopped and the load fails.
    /// </summary>
    /// <param name="executable">nimmerverse-organ.</param>
    /// <param name="organ">Which organ it loads.</param>
    /// <param name="card">Its card, as <c>CUDA_VISIBLE_DEVICES</c>.</param>
    /// <param name="loadTimeout">How long the load may take.</param>
    /// <param name="cancellation">Cancels the load (its process is stopped).</param>
    /// <param name="contain">Called with the process id before the load.</param>
    /// <param name="configFile">The organ's own settings (<c>--config</c>), if any.</param>
    /// <param name="user">The user it runs as, with no privilege left (setpriv execs in place: the PID is the organ's); null: this process's user.</param>
    public static async Task<OrganProcess> StartAsync(
        string executable, string organ, string card, TimeSpan loadTimeout, CancellationToken cancellation, Func<int, CancellationToken, Task>? contain = null, string? configFile = null,
        Linux.UnixUser? user = null)
    {
        var port = FreePort();
        var address = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        string[] command = [.. user?.SwitchArguments() ?? [], executable, "--organ", organ, "--listen", address.ToString().TrimEnd('/'), .. configFile is null ? Array.Empty<string>() : ["--config", configFile]];
        var start = new ProcessStartInfo(command[0], command.Skip(1)) { UseShellExecute = false };
        start.Environment["CUDA_VISIBLE_DEVICES"] = card;
        var organProcess = new OrganProcess(Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}"), address);
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            deadline.CancelAfter(loadTimeout);
            if (contain is not null)
            {
                try
                {
                    await contain(organProcess.Pid, deadline.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    throw new OrganLoadFailedException($"the {organ} organ could not be put in its place: {e.Message}");
                }
            }

            while (!await organProcess.Client.HealthyAsync(deadline.Token).ConfigureAwait(false))
            {
                if (organProcess.Exited.IsCompleted)
                {
                    throw new OrganLoadFailedException($"the {organ} organ exited with {organProcess.Exited.Result} while loading");
                }

                await Task.Delay(TimeSpan.FromMilliseconds(50), deadline.Token).ConfigureAwait(false);
            }

            return organProcess;
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            await organProcess.StopAsync(TimeSpan.Zero).ConfigureAwait(false);
            organProcess.Dispose();
            throw new OrganLoadFailedException($"the {organ} organ did not load within {loadTimeout.TotalSeconds:F0} s");
        }
        catch
        {
            await organProcess.StopAsync(TimeSpan.Zero).ConfigureAwait(false);
            organProcess.Dispose();
            throw;
        }
    }

    /// <summary>SIGTERM, then SIGKILL after <paramref name="grace"/>; returns once it has exited.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (!_exited.Task.IsCompleted)
        {
            if (grace > TimeSpan.Zero)
            {
                Shared.Signals.Send(Pid, Shared.Signals.Term);
                await Task.WhenAny(_exited.Task, Task.Delay(grace)).ConfigureAwait(false);
            }

            if (!_exited.Task.IsCompleted)
            {
                _process.Kill();
            }
        }

        await _exited.Task.ConfigureAwait(false);
    }

    public void Dispose()
    {
        Client.Dispose();
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>An organ process that did not come up: it exited, or did not answer in time.</summary>
public sealed class OrganLoadFailedException(string message) : Exception(message);
