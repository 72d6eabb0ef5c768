using Microsoft.AspNetCore.Builder;
using NATS.Client.Core;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Supervisor.Hosting;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Nats;
using Nimmerverse.Testing.Postgres;
using Serilog;

namespace Nimmerverse.Supervisor.Tests.Organs;

/// <summary>A whole supervisor with the organs role (and any others asked for) on a real NATS and PostgreSQL, and an operator's connection to ask the organs.</summary>
internal sealed class OrgansHost : IAsyncDisposable
{
    private static readonly MessageSource Operator = new("operator@test", "operator", Tiers.Cortex);

    private OrgansHost(NatsServer nats, PostgresTestDatabase database, ConfigurationLoader.Loaded loaded, WebApplication app, NatsConnection client) =>
        (Nats, Database, Loaded, App, Client) = (nats, database, loaded, app, client);

    public NatsServer Nats { get; }

    public PostgresTestDatabase Database { get; }

    public ConfigurationLoader.Loaded Loaded { get; }

    public WebApplication App { get; }

    public NatsConnection Client { get; }

    public Subjects Subjects { get; } = new("dev");

    /// <summary>Starts the supervisor with <paramref name="roles"/> and more <c>NIMMERVERSE_*</c> <paramref name="settings"/>; its organ processes are the published ones.</summary>
    public static async Task<OrgansHost> StartAsync(string[] roles, params (string Name, string Value)[] settings)
    {
        var nats = await NatsServer.StartAsync();
        var database = await PostgresTestDatabase.CreateAsync();
        (string, string)[] all =
        [
            ("NIMMERVERSE_LOGGING__TARGET", "console"),
            ("NIMMERVERSE_ORGANS__EXECUTABLE", RepositoryPaths.OrganExecutable),
            .. roles.Select((role, i) => ($"NIMMERVERSE_ROLES__{i}", role)),
            .. settings,
        ];
        var loaded = ConfigurationLoader.Load(null, SupervisorEnvironment.Local(nats.Url, database.ConnectionString, all), AppContext.BaseDirectory);
        var app = SupervisorHost.Build(loaded, new LoggerConfiguration().CreateLogger());
        await app.StartAsync();
        return new OrgansHost(nats, database, loaded, app, new NatsConnection(new NatsOpts { Url = nats.Url }));
    }

    /// <summary>Asks an organ as the operator: the request's id and the answer, or a null answer while nobody listens.</summary>
    public async Task<(Guid Id, OrganResponseBody? Body)> AskAsync(string organ, OrganRequestBody request)
    {
        var envelope = Envelopes.Of(Operator, request);
        try
        {
            var reply = await Client.RequestAsync<byte[], byte[]>(Subjects.OrganRequest(organ).Value, OrganRequestBody.Codec.Encode(envelope), replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(60) });
            var decoded = OrganRequestBody.Codec.Decode<OrganResponseBody>(reply.Data!);
            Assert.That(decoded.Envelope, Is.Not.Null, () => $"not an organ_response: {decoded.Rejection}");
            return (envelope.Header.MessageId, decoded.Envelope!.Body);
        }
        catch (NatsNoRespondersException)
        {
            return (envelope.Header.MessageId, null);
        }
    }

    /// <summary>The first answer, once the organs listen (they subscribe as the supervisor starts).</summary>
    public async Task<(Guid Id, OrganResponseBody Body)> FirstAnswerAsync(string organ, OrganRequestBody request)
    {
        (Guid Id, OrganResponseBody? Body) answer = default;
        Assert.That(await Eventually.TrueAsync(async () => (answer = await AskAsync(organ, request)).Body is not null, TimeSpan.FromSeconds(30)), Is.True, "the organs listen");
        return (answer.Id, answer.Body!);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await App.StopAsync();
        await App.DisposeAsync();
        await Database.DisposeAsync();
        await Nats.DisposeAsync();
    }
}
