using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Supervisor.Lifecycle;

namespace Nimmerverse.Supervisor.Hosting;

/// <summary>One NATS connection per process, the bridge's counters, and their part of the status line.</summary>
public static class NatsComposition
{
    /// <summary>NATS.Net reconnects forever, quickly at first, so a restarted server is back within seconds.</summary>
    private static readonly TimeSpan ReconnectWaitMin = TimeSpan.FromMilliseconds(100);

    private static readonly TimeSpan ReconnectWaitMax = TimeSpan.FromSeconds(2);

    public static IServiceCollection AddNimmerverseNats(this IServiceCollection services, NimmerverseOptions options) =>
        services
            .AddSingleton<INatsConnection>(provider => new NatsConnection(new NatsOpts
            {
                Url = options.Nats.Url,
                Name = $"nimmerverse-{options.HostName}",
                AuthOpts = options.Nats.Identities is { } identities
                    ? new NatsAuthOpts { CredsFile = Identities.NatsIdentities.At(identities).SupervisorCreds(options.Environment) }
                    : NatsAuthOpts.Default,
                MaxReconnectRetry = -1,
                RetryOnInitialConnect = true,
                ReconnectWaitMin = ReconnectWaitMin,
                ReconnectWaitMax = ReconnectWaitMax,
                LoggerFactory = provider.GetRequiredService<ILoggerFactory>(),
            }))
            .AddSingleton<BridgeCounters>()
            .AddSingleton<IStatusContributor, NatsStatusContributor>();
}
