using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Nimmerverse.Actors.Governor;
using Nimmerverse.Actors.World;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Actors.Npc;
using Nimmerverse.Supervisor.Configuration;
using Npgsql;
using Nimmerverse.Protocol;

namespace Nimmerverse.Supervisor.Persistence;

/// <summary>One <see cref="NpgsqlDataSource"/> per process (it pools connections), the schema start-up and the stores on it.</summary>
public static class PersistenceComposition
{
    public static IServiceCollection AddNimmerversePersistence(this IServiceCollection services, NimmerverseOptions options) =>
        services
            .AddSingleton(provider => DataSource(PostgresConnections.Writer(options.Postgres), provider))
            .AddSingleton(provider => new DatabaseStartup(
                provider.GetRequiredService<NpgsqlDataSource>(),
                provider.GetRequiredService<ILogger<DatabaseStartup>>(),
                PostgresConnections.Owner(options.Postgres) is { } owner ? DataSource(owner, provider) : null))
            .AddSingleton<PostgresDeadLetters>()
            .AddSingleton<Lifecycle.IStatusContributor>(provider => provider.GetRequiredService<PostgresDeadLetters>())
            .AddSingleton<ICheckpointStore, PostgresCheckpointStore>()
            .AddSingleton<IDecisionTrailStore, PostgresDecisionTrailStore>()
            .AddSingleton<IGovernorCheckpoints, PostgresGovernorCheckpoints>()
            .AddSingleton<IWorldStore, PostgresWorldStore>()
            .AddSingleton(provider => new DecisionTrailRecorder(
                provider.GetRequiredService<IDecisionTrailStore>(),
                options.Trails with { SpoolPath = SpoolPath(options.Trails.SpoolPath) },
                provider.GetRequiredService<ILogger<DecisionTrailRecorder>>()))
            .AddSingleton<IDecisionTrails>(provider => provider.GetRequiredService<DecisionTrailRecorder>())
            .AddSingleton(provider => new PostgresNpcSamples(provider.GetRequiredService<NpgsqlDataSource>(), provider.GetRequiredService<DatabaseStartup>()))
            .AddSingleton<INpcSamples>(provider => provider.GetRequiredService<PostgresNpcSamples>())
            .AddTrailsStatus(options);

    private static NpgsqlDataSource DataSource(string connectionString, IServiceProvider provider) =>
        new NpgsqlDataSourceBuilder(connectionString).UseLoggerFactory(provider.GetRequiredService<ILoggerFactory>()).Build();

    /// <summary>
    /// Where the governor runs, its trails have their say in the STATUS line, and the gate
    /// transitions of the whole cluster are recorded from JetStream; where the cortex runs, its trails; where organs run, theirs.
    /// </summary>
    private static IServiceCollection AddTrailsStatus(this IServiceCollection services, NimmerverseOptions options)
    {
        var (batch, retry) = (Math.Min(options.Trails.BatchSize, 1000), options.Trails.RetryInterval);
        if (options.EffectiveRoles.Contains(ClusterRoles.Governor))
        {
            services
                .AddHostedService(provider => new RetentionPruner(
                    provider.GetRequiredService<NpgsqlDataSource>(), options.Trails, provider.GetRequiredService<DatabaseStartup>(), TimeProvider.System, provider.GetRequiredService<ILogger<RetentionPruner>>()))
                .AddSingleton<Lifecycle.IStatusContributor, Lifecycle.TrailsStatusContributor>()
                .AddJetStreamRecorder(JetStreamRecorderSettings.Gates(NatsBridgeSettings.GateStreamName(options.Environment), batch, retry), (data, dead) => new PostgresGateTransitionStore(data, dead));
        }

        if (options.EffectiveRoles.Contains(ClusterRoles.Cortex))
        {
            services.AddJetStreamRecorder(JetStreamRecorderSettings.CortexTrails(NatsBridgeSettings.CortexTrailStreamName(options.Environment), batch, retry), (data, dead) => new PostgresCortexTrailStore(data, dead));
        }

        if (options.EffectiveRoles.Contains(ClusterRoles.Organs))
        {
            services.AddJetStreamRecorder(JetStreamRecorderSettings.OrganTrails(NatsBridgeSettings.OrganTrailStreamName(options.Environment), batch, retry), (data, dead) => new PostgresOrganTrailStore(data, dead));
        }

        return services;
    }

    private static IServiceCollection AddJetStreamRecorder<TBody>(this IServiceCollection services, JetStreamRecorderSettings settings, Func<NpgsqlDataSource, PostgresDeadLetters, IEnvelopeStore<TBody>> store)
        where TBody : IMessageBody =>
        services
            .AddSingleton(provider => new JetStreamRecorder<TBody>(
                provider.GetRequiredService<NATS.Client.Core.INatsConnection>(),
                store(provider.GetRequiredService<NpgsqlDataSource>(), provider.GetRequiredService<PostgresDeadLetters>()),
                provider.GetRequiredService<PostgresDeadLetters>(),
                provider.GetRequiredService<DatabaseStartup>(),
                settings,
                provider.GetRequiredService<ILogger<JetStreamRecorder<TBody>>>()))
            .AddSingleton<Lifecycle.IStatusContributor>(provider => provider.GetRequiredService<JetStreamRecorder<TBody>>())
            .AddHostedService(provider => provider.GetRequiredService<JetStreamRecorder<TBody>>());

    /// <summary>A relative spool path is under systemd's StateDirectory= ($STATE_DIRECTORY, /var/lib/nimmerverse) when there is one, else the working directory.</summary>
    private static string SpoolPath(string configured) =>
        Path.GetFullPath(configured, Environment.GetEnvironmentVariable("STATE_DIRECTORY")?.Split(':')[0] is { Length: > 0 } state ? state : Directory.GetCurrentDirectory());
}
