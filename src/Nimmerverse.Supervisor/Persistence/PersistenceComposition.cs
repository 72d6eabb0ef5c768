using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Nimmerverse.Actors.Npc;
using Nimmerverse.Supervisor.Configuration;
using Npgsql;

namespace Nimmerverse.Supervisor.Persistence;

/// <summary>One <see cref="NpgsqlDataSource"/> per process (it pools connections), the schema start-up and the stores on it.</summary>
public static class PersistenceComposition
{
    public static IServiceCollection AddNimmerversePersistence(this IServiceCollection services, NimmerverseOptions options) =>
        services
            .AddSingleton(provider => new NpgsqlDataSourceBuilder(options.Postgres.ConnectionString)
                .UseLoggerFactory(provider.GetRequiredService<ILoggerFactory>())
                .Build())
            .AddSingleton<DatabaseStartup>()
            .AddSingleton<ICheckpointStore, PostgresCheckpointStore>();
}
