using System.Text.Json;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Nats;
using Nimmerverse.Testing.Postgres;

namespace Nimmerverse.Dashboard.Tests.Live;

/// <summary>
/// One organism for every test in this namespace: the published supervisor as its own process with 25 real
/// learning brains, on the private nats-server and PostgreSQL. Started once (25 brains take a while), watched
/// by the browser, the CLI and a Prometheus-style scraper.
/// </summary>
[SetUpFixture]
public sealed class LiveOrganism
{
    public const int Npcs = 25;

    /// <summary>Short, so that a test can see the feed stop listening.</summary>
    public static readonly TimeSpan Linger = TimeSpan.FromSeconds(2);

    private static NatsServer? _nats;
    private static PostgresTestDatabase? _database;
    private static SupervisorProcess? _supervisor;

    public static NatsServer Nats => _nats ?? throw new InvalidOperationException("the organism is not running");

    public static SupervisorProcess Supervisor => _supervisor ?? throw new InvalidOperationException("the organism is not running");

    public static Uri Dashboard => Supervisor.Http.BaseAddress!;

    public static string DatabaseConnectionString => _database?.ConnectionString ?? throw new InvalidOperationException("the organism is not running");

    /// <summary>The operator token file the supervisor checks control actions against.</summary>
    public static string TokenFile { get; } = Path.Combine(Path.GetTempPath(), $"nimmerverse-operator-token-{Guid.NewGuid():N}");

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        await Published.EnsureAsync();
        await File.WriteAllTextAsync(TokenFile, Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)));
        _nats = await NatsServer.StartAsync();
        _database = await PostgresTestDatabase.CreateAsync();
        _supervisor = SupervisorProcess.Start(SupervisorEnvironment.Local(_nats.Url, _database.ConnectionString,
            ("NIMMERVERSE_NPC__POPULATION", Npcs.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("NIMMERVERSE_NPC__BACKEND", "none"),
            ("NIMMERVERSE_NPC__SPAWNINTERVAL", "00:00:00.1"),
            ("NIMMERVERSE_DASHBOARD__LINGER", Linger.ToString()),
            ("NIMMERVERSE_DASHBOARD__CURVESAMPLEEVERY", "00:00:01"),
            ("NIMMERVERSE_HTTP__OPERATORTOKENFILE", TokenFile),
            ("NIMMERVERSE_TRAILS__NPCSAMPLEINTERVAL", "00:00:01")));
        await _supervisor.WaitUntilUpAsync(TimeSpan.FromSeconds(90));
        var all = await Eventually.TrueAsync(async () => await HeardFromAsync() == Npcs, TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(1));
        Assert.That(all, Is.True, $"all {Npcs} brains are heard from\n{_supervisor}");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_supervisor is not null)
        {
            await _supervisor.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        if (_nats is not null)
        {
            await _nats.DisposeAsync();
        }

        File.Delete(TokenFile);
    }

    /// <summary>How many brains run, by the dashboard's API; 0 while the supervisor is too busy starting 25 brains to answer in time.</summary>
    private static async Task<int> HeardFromAsync()
    {
        try
        {
            using var page = JsonDocument.Parse(await Supervisor.Http.GetStringAsync(new Uri("/api/npcs", UriKind.Relative)));
            return page.RootElement.GetProperty("npcs").EnumerateArray().Count(n => n.GetProperty("state").GetString() == "running");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return 0;
        }
    }
}
