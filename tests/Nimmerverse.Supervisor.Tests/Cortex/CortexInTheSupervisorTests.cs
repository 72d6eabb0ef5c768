using System.Text.Json;
using NATS.Client.Core;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Supervisor.Hosting;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Nats;
using Nimmerverse.Testing.Nyx;
using Nimmerverse.Testing.Postgres;
using Npgsql;
using Serilog;

namespace Nimmerverse.Supervisor.Tests.Cortex;

/// <summary>
/// The cortex gateway inside a whole supervisor (role <c>cortex</c>), with a real NATS, PostgreSQL and
/// nimmerverse-nyx: a request from outside is answered, every decision lands in <c>cortex_trails</c>
/// once, and <c>/api/status</c> shows the gateway.
/// </summary>
[Category(TestTier.Integration)]
public sealed class CortexInTheSupervisorTests
{
    [Test]
    [CancelAfter(120_000)]
    public async Task An_operator_is_answered_and_each_decision_is_a_trail_in_postgresql()
    {
        await using var nyx = await NyxServer.StartAsync(("NIMMERVERSE_NYX__SCHEDULING", "priority"));
        await using var nats = await NatsServer.StartAsync();
        await using var database = await PostgresTestDatabase.CreateAsync();
        var environment = SupervisorEnvironment.Local(nats.Url, database.ConnectionString,
            ("NIMMERVERSE_LOGGING__TARGET", "console"),
            ("NIMMERVERSE_ROLES__0", "cortex"),
            ("NIMMERVERSE_CORTEX__ENDPOINT", nyx.ApiBase.ToString()),
            ("NIMMERVERSE_CORTEX__CALLCOST", "2"));
        var loaded = ConfigurationLoader.Load(null, environment, AppContext.BaseDirectory);
        await using var app = SupervisorHost.Build(loaded, new LoggerConfiguration().CreateLogger());
        await app.StartAsync();
        await using var client = new NatsConnection(new NatsOpts { Url = nats.Url });
        var subjects = new Subjects("dev");
        var source = new MessageSource("operator@test", "operator", Tiers.Cortex);

        async Task<(Guid Id, CortexResponseBody? Body)> AskAsync(CortexRequestBody question)
        {
            var request = Envelopes.Of(source, question);
            try
            {
                var reply = await client.RequestAsync<byte[], byte[]>(subjects.CortexRequest.Value, WireCodec.Default.Encode(request), replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(20) });
                return (request.Header.MessageId, WireCodec.Default.Decode<CortexResponseBody>(reply.Data!).Envelope?.Body);
            }
            catch (NatsNoRespondersException)
            {
                return (request.Header.MessageId, null);
            }
        }

        var question = new CortexRequestBody("operator", [new CortexMessage("system", "You tell stories."), new CortexMessage("user", "Lily went to the park.")], 16);
        (Guid Id, CortexResponseBody? Body) answered = default;
        Assert.That(await Eventually.TrueAsync(async () => (answered = await AskAsync(question)).Body is not null, TimeSpan.FromSeconds(30)), Is.True, "the gateway listens");
        Assert.That(answered.Body!.Status, Is.EqualTo(RequestStatus.Answered), answered.Body.Detail);
        var (refusedId, refused) = await AskAsync(question with { Requester = "npc-4" });
        Assert.That(refused!.Reason, Is.EqualTo(CortexReasons.RequesterMismatch), "an NPC's request from an inbox not its own");

        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        Assert.That(await Eventually.TrueAsync(async () =>
        {
            try
            {
                await using var count = dataSource.CreateCommand("select count(*) from cortex_trails");
                return (long)(await count.ExecuteScalarAsync())! >= 3;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                return false; // on a busy machine the supervisor may still be migrating the schema
            }
        }, TimeSpan.FromSeconds(30)), Is.True, "three trails: admitted, answered, refused");

        await using (var rows = dataSource.CreateCommand($"select event, reason, requester, lifeforce_spent, content, messages::text, prompt_tokens, host from cortex_trails where request_id in ('{answered.Id}', '{refusedId}') order by occurred_at"))
        await using (var reader = await rows.ExecuteReaderAsync())
        {
            var events = new List<(string Event, string? Reason, double Spent, string? Content, string? Messages, int? PromptTokens, string Host)>();
            while (await reader.ReadAsync())
            {
                events.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetDouble(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetInt32(6), reader.GetString(7)));
            }

            Assert.That(events.Select(e => e.Event), Is.EqualTo(new[] { "admitted", "answered", "refused" }));
            var exchange = events[1];
            Assert.Multiple(() =>
            {
                Assert.That(exchange.Content, Is.EqualTo(answered.Body.Content));
                Assert.That(exchange.Spent, Is.EqualTo(answered.Body.LifeforceSpent).Within(1e-9));
                Assert.That(JsonDocument.Parse(exchange.Messages!).RootElement.GetArrayLength(), Is.EqualTo(2), "the exchange is kept whole");
                Assert.That(exchange.PromptTokens, Is.EqualTo(answered.Body.Usage!.PromptTokens));
                Assert.That(exchange.Host, Is.EqualTo(loaded.Options.HostName));
                Assert.That(events[2].Reason, Is.EqualTo(CortexReasons.RequesterMismatch));
            });
        }

        using var http = new HttpClient { BaseAddress = new Uri(loaded.Options.Http.Listen) };
        JsonElement cortex = default;
        Assert.That(await Eventually.TrueAsync(async () =>
        {
            var status = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/status", UriKind.Relative))).RootElement;
            return status.TryGetProperty("cortex", out cortex) && cortex.GetProperty("answered").GetInt64() >= 1;
        }, TimeSpan.FromSeconds(10)), Is.True, "/api/status has the cortex");
        Assert.Multiple(() =>
        {
            Assert.That(cortex.GetProperty("breaker").GetString(), Is.EqualTo("closed"));
            Assert.That(cortex.GetProperty("model").GetString(), Is.EqualTo("nyx"));
            Assert.That(cortex.GetProperty("refused").GetProperty("requester_mismatch").GetInt64(), Is.EqualTo(1));
        });

        // The operator's verb: the same request from the command line.
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await new Nimmerverse.Supervisor.Cli.NatsCommand(output, error).RunAsync(["ask", "Where", "is", "the", "park?", "--max-tokens", "128", "--schema", "direction", "--timeout", "20", "--server", nats.Url], nats.Url, CancellationToken.None);
        Assert.That(exit, Is.Zero, error.ToString());
        var cli = WireCodec.Default.Decode<CortexResponseBody>(System.Text.Encoding.UTF8.GetBytes(output.ToString().Trim())).Envelope!.Body;
        Assert.That((cli.Requester, cli.Status), Is.EqualTo(("operator", RequestStatus.Answered)), cli.Detail);
        Assert.That(CortexSchemas.Problem(CortexSchemas.Direction, cli.Content!), Is.Null, cli.Content);

        await app.StopAsync();
    }
}
