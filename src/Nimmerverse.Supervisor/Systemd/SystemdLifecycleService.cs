using Akka.Actor;
using Akka.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Nimmerverse.Supervisor.Configuration;

namespace Nimmerverse.Supervisor.Systemd;

/// <summary>
/// Tells systemd where the daemon stands: READY=1 only once this node is Up in the cluster
/// (so <c>systemctl start</c> returns when the supervisor can really work), STATUS= while it
/// runs, STOPPING=1 on shutdown. If the actor system dies on its own, the process exits 70
/// (EX_SOFTWARE) so that <c>Restart=on-failure</c> brings it back.
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

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        lifetime.ApplicationStopping.Register(() => notifier.Stopping("stopping: leaving the cluster"));
        var system = services.GetRequiredService<ActorSystem>();
        _ = system.WhenTerminated.ContinueWith(_ => OnActorSystemTerminated(), TaskScheduler.Default);

        notifier.Status(statusLine.Compose("starting: joining the cluster"));
        var cluster = Cluster.Get(system);
        var memberUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => memberUp.TrySetResult());
        try
        {
            await memberUp.Task.WaitAsync(options.Systemd.JoinTimeout, stoppingToken).ConfigureAwait(false);
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

    private void OnActorSystemTerminated()
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested)
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
