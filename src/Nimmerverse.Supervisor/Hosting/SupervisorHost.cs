using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Nimmerverse.Actors.Supervision;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Supervisor.Http;
using Nimmerverse.Supervisor.Persistence;
using Nimmerverse.Supervisor.Lifecycle;
using Nimmerverse.Supervisor.NpcScopes;
using Nimmerverse.Supervisor.Telemetry;
using Serilog;

namespace Nimmerverse.Supervisor.Hosting;

/// <summary>Composes the daemon: one options tree, Serilog, the ActorSystem, systemd integration and HTTP.</summary>
public static class SupervisorHost
{
    public static WebApplication Build(ConfigurationLoader.Loaded loaded, Serilog.ILogger logger)
    {
        var options = loaded.Options;
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = "nimmerverse",
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddConfiguration(loaded.Configuration);
        builder.Services.AddSerilog(logger, dispose: false);
        builder.WebHost.UseKestrelCore().UseUrls(options.Http.Listen);
        builder.Services.AddRoutingCore();
        // Stop within systemd's TimeoutStopSec even if a hosted service dawdles.
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(20));

        builder.Services
            .AddSingleton(options)
            .AddSingleton(_ => SystemdNotifier.FromEnvironment())
            .AddSingleton<HealthProbe>()
            .AddSingleton<StatusLine>()
            .AddSingleton<IStatusContributor, ClusterStatusContributor>()
            .AddSingleton<SupervisionCounters>()
            .AddSingleton<IStatusContributor, SupervisionStatusContributor>()
            .AddSingleton(provider => NpcBackend.SelectAsync(options.Npc, provider.GetRequiredService<ILoggerFactory>().CreateLogger<NpcBackend>()).GetAwaiter().GetResult())
            .AddSingleton<IStatusContributor, NpcBackendStatusContributor>()
            .AddNimmerverseNats(options)
            .AddNimmerversePersistence(options)
            .AddNimmerverseCortex(options)
            .AddNimmerverseOrgans(options)
            .AddNimmerverseDashboard()
            .AddSingleton(provider => new OperatorActions(options.Http.OperatorTokenFile, options.HostName, provider.GetRequiredService<Npgsql.NpgsqlDataSource>(), provider.GetRequiredService<ILogger<OperatorActions>>()))
            .AddNimmerverseMetrics();

        builder.Services.AddAkka(AkkaOptions.SystemName, akka => akka
            .ConfigureNimmerverseLogging()
            .ConfigureNimmerverseCluster(options)
            .WithNimmerverseActors(options));

        builder.Services
            .AddHostedService(provider => provider.GetRequiredService<DatabaseStartup>())
            .AddHostedService<SystemdLifecycleService>()
            .AddHostedService<WatchdogService>();

        var app = builder.Build();
        app.UseRouting();
        app.MapStatusEndpoints();
        app.MapDashboardEndpoints();
        app.MapControlEndpoints();
        // Its instruments exist once it does; the OpenTelemetry exporter reads them at each scrape.
        app.Services.GetRequiredService<SupervisorMetrics>();
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
