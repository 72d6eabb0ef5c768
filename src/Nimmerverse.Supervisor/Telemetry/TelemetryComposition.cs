using Microsoft.Extensions.DependencyInjection;
using Nimmerverse.Actors.Telemetry;
using OpenTelemetry.Metrics;

namespace Nimmerverse.Supervisor.Telemetry;

/// <summary>
/// OpenTelemetry metrics for <c>/metrics</c> (Prometheus text): the organism's meter, this supervisor's, and the
/// runtime's own (<c>System.Runtime</c>: CPU, memory, GC, thread pool). Nothing is collected until a scrape.
/// </summary>
public static class TelemetryComposition
{
    public static IServiceCollection AddNimmerverseMetrics(this IServiceCollection services)
    {
        services.AddSingleton<SupervisorMetrics>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(OrganismMetrics.MeterName, OrganismMetrics.MeterName + ".Supervisor", "System.Runtime")
            .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0));
        return services;
    }
}
