using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Nimmerverse.Supervisor.Configuration;

namespace Nimmerverse.Supervisor.Lifecycle;

/// <summary>
/// Tells systemd where the daemon stands: READY=1 only once this node is Up in the cluster
/// (so <c>systemctl start</c> returns when the supervisor can really work), STATUS= while it
/// runs, STOPPING=1 on shutdown. If the actor system dies on its own (a node downed by the
/// split-brain resolver, a fatal error), the process exits 70 (EX_SOFTWARE) so that
/// <c>Restart=on-failure</c> brings it back to rejoin; a requested stop exits 0.
/// </summary>
public sealed partial class SystemdLifecycleService(
    IServiceProvider services,
    SystemdNotifier notifier,
    StatusLine statusLine,
    NimmerverseOptions options,
    IHostApplicationLifetime lifetime,
    ILogger<SystemdLifecycleService> logger) : BackgroundService
{
    /// <summary>Exit code when the actor system terminated without being asked to (EX_SOFTWARE).</summary>
    public const int ActorSystemDiedExitCode = 70;

    /// <summary>Exit code when the node never became Up in the cluster.</summary>
    public const int JoinFailedExitCode = 69; // EX_UNAVAILABLE

    /// <summary>How often the cluster's read view is checked after MemberUp, before READY.</summary>
    private static readonly TimeSpan ReadViewPollInterval = TimeSpan.FromMilliseconds(10);

    private readonly List<PosixSignalRegistration> _signalWatches = [];
    private volatile bool _stopRequested;
    private int _deathReported;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var system = services.GetRequiredService<ActorSystem>();
        // A requested stop is a signal, or the host stopping while the actor system still runs.
        // Akka.Hosting also stops the host when the system dies, but only after it died, which
        // is how the two are told apart. The watches only observe; the host handles the signals.
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT })
        {
            _signalWatches.Add(PosixSignalRegistration.Create(signal, _ => _stopRequested = true));
        }

        lifetime.ApplicationStopping.Register(() =>
        {
            if (system.WhenTerminated.IsCompleted)
            {
                // Classified here as well as below so the exit code is set before the host returns.
                OnActorSystemTerminated();
            }
            else
            {
                _stopRequested = true;
            }

            notifier.Stopping("stopping: leaving the cluster");
        });
        _ = system.WhenTerminated.ContinueWith(_ => OnActorSystemTerminated(), TaskScheduler.Default);

        notifier.Status(statusLine.Compose("starting: joining the cluster"));
        var cluster = Cluster.Get(system);
        var memberUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => memberUp.TrySetResult());
        try
        {
            await WaitUntilUpAsync(cluster, memberUp.Task, stoppingToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            LogJoinTimedOut(options.Systemd.JoinTimeout, string.Join(", ", options.Akka.SeedNodes));
            Environment.ExitCode = JoinFailedExitCode;
            lifetime.StopApplication();
            return;
        }

        var status = statusLine.Compose("running");
        LogUp(options.HostName, cluster.SelfAddress.ToString(), string.Join(",", options.EffectiveRoles), options.Environment);
        notifier.Ready(status);

        using var timer = new PeriodicTimer(options.Systemd.StatusInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var next = statusLine.Compose("running");
                if (next != status)
                {
                    status = next;
                    notifier.Status(status);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// MemberUp fires before the cluster's read view (what <c>Cluster.State</c> and the status line
    /// show) has caught up; READY waits for both, so the first STATUS already shows this member Up.
    /// </summary>
    private async Task WaitUntilUpAsync(Cluster cluster, Task memberUp, CancellationToken stoppingToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        deadline.CancelAfter(options.Systemd.JoinTimeout);
        try
        {
            await memberUp.WaitAsync(deadline.Token).ConfigureAwait(false);
            while (cluster.SelfMember.Status != MemberStatus.Up || !cluster.State.Members.Contains(cluster.SelfMember))
            {
                await Task.Delay(ReadViewPollInterval, deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            throw new TimeoutException();
        }
    }

    public override void Dispose()
    {
        _signalWatches.ForEach(watch => watch.Dispose());
        base.Dispose();
    }

    private void OnActorSystemTerminated()
    {
        if (_stopRequested || Interlocked.Exchange(ref _deathReported, 1) == 1)
        {
            return;
        }

        LogActorSystemDied(ActorSystemDiedExitCode);
        Environment.ExitCode = ActorSystemDiedExitCode;
        lifetime.StopApplication();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Supervisor {HostName} is up in the cluster as {ClusterAddress} with roles {Roles} in environment {Environment}")]
    private partial void LogUp(string hostName, string clusterAddress, string roles, string environment);

    [LoggerMessage(Level = LogLevel.Critical, Message = "This node did not become Up in the cluster within {JoinTimeout}; seed nodes: {SeedNodes}. Check that a seed is reachable and runs the same ActorSystem name")]
    private partial void LogJoinTimedOut(TimeSpan joinTimeout, string seedNodes);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The actor system terminated without a shutdown request; exiting with {ExitCode} so systemd restarts the supervisor")]
    private partial void LogActorSystemDied(int exitCode);
}
