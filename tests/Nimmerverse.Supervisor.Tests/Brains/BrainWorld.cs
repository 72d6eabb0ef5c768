using Microsoft.AspNetCore.Builder;
using NATS.Client.Core;
using Nimmerverse.Actors.World;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Supervisor.Hosting;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Nats;
using Nimmerverse.Testing.Postgres;
using Npgsql;
using Serilog;

namespace Nimmerverse.Supervisor.Tests.Brains;

/// <summary>
/// What a brain needs around it, all real: a nats-server, a fresh PostgreSQL database, and the
/// supervisor in-process with its grid world and checkpoint keeper (no population of its own
/// unless asked: the tests start and kill the brains themselves).
/// </summary>
public sealed class BrainWorld : IAsyncDisposable
{
    /// <summary>The arena of the learning tests: 5x5, no level-ups, every episode seeks the NPC's own home.</summary>
    public static readonly GridWorldSettings Arena = GridWorldSettings.Default with { Citizens = 4, MaxLevel = 0, OwnHomeShare = 1, QuizEvery = 1_000_000, Seed = 7 };

    private BrainWorld(NatsServer nats, PostgresTestDatabase database, WebApplication app, NatsConnection client, NpgsqlDataSource dataSource)
    {
        Nats = nats;
        Database = database;
        App = app;
        Client = client;
        DataSource = dataSource;
    }

    public NatsServer Nats { get; }

    public PostgresTestDatabase Database { get; }

    public WebApplication App { get; }

    /// <summary>A plain NATS client, as any other component of the lab.</summary>
    public NatsConnection Client { get; }

    public NpgsqlDataSource DataSource { get; }

    public static async Task<BrainWorld> StartAsync(params (string Name, string Value)[] settings)
    {
        var nats = await NatsServer.StartAsync();
        PostgresTestDatabase database;
        try
        {
            database = await PostgresTestDatabase.CreateAsync();
        }
        catch
        {
            await nats.DisposeAsync(); // no nats-server left behind by a failed set-up
            throw;
        }

        var environment = SupervisorEnvironment.Local(nats.Url, database.ConnectionString,
            // The brains under test take their tick rates from the test, not from a governor.
            ("NIMMERVERSE_ROLES__0", "world"),
            ("NIMMERVERSE_ROLES__1", "cells"),
            ("NIMMERVERSE_ROLES__2", "npc-host"),
            ("NIMMERVERSE_WORLD__CITIZENS", Arena.Citizens.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("NIMMERVERSE_WORLD__MAXLEVEL", "0"),
            ("NIMMERVERSE_WORLD__OWNHOMESHARE", "1"),
            ("NIMMERVERSE_WORLD__QUIZEVERY", Arena.QuizEvery.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("NIMMERVERSE_WORLD__SEED", Arena.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        foreach (var (name, value) in settings)
        {
            environment[name] = value;
        }

        var loaded = ConfigurationLoader.Load(null, environment, AppContext.BaseDirectory);
        var logger = new LoggerConfiguration().WriteTo.Sink(new Nimmerverse.Supervisor.Logging.PriorityConsoleSink(TestContext.Progress)).CreateLogger();
        var app = SupervisorHost.Build(loaded, logger);
        await app.StartAsync();
        // A generous connect timeout: beside the other suites, two cores can take seconds to answer.
        var client = new NatsConnection(new NatsOpts { Url = nats.Url, Name = "brain-tests", ConnectTimeout = TimeSpan.FromSeconds(15) });
        await client.ConnectAsync();
        return new BrainWorld(nats, database, app, client, database.DataSource());
    }

    /// <summary>Sends an NPC a command, as the governor would: an <c>npc_command</c> on <c>dev.npc.{id}.command</c>.</summary>
    public Task CommandAsync(int npcId, string command, double? tickRateHz = null) =>
        Client.PublishAsync(
            new Subjects("dev").NpcCommand(npcId).Value,
            WireCodec.Default.Encode(Envelopes.Of(new MessageSource("governor", "governor", 2), new NpcCommandBody(command, tickRateHz)))).AsTask();

    /// <summary>Checkpoints stored for an NPC.</summary>
    public async Task<long> CheckpointsOfAsync(int npcId)
    {
        await using var command = DataSource.CreateCommand("select count(*) from npc_checkpoints where npc_id = $1");
        command.Parameters.AddWithValue(npcId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await App.StopAsync();
        await App.DisposeAsync();
        await DataSource.DisposeAsync();
        await Database.DisposeAsync();
        await Nats.DisposeAsync();
    }
}
