using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Net;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Cli;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Supervisor.Hosting;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Nats;
using Serilog;

namespace Nimmerverse.Supervisor.Tests.Hosting;

/// <summary>
/// The supervisor as the lab's other components see it: a real nats-server, plain NATS clients,
/// the math cell answering, and garbage that cannot hurt it.
/// </summary>
[Category(TestTier.Integration)]
public sealed class NervousSystemOverNatsTests
{
    private static readonly MessageSource Outsider = new("python-cell", "cell", 1);
    private static readonly string SensorFile = Path.Combine(Path.GetTempPath(), $"in_distance_raw-{Guid.NewGuid():N}");
    private NatsServer _nats = null!;
    private WebApplication _app = null!;
    private HttpClient _http = null!;
    private NatsConnection _client = null!;

    [OneTimeSetUp]
    public async Task StartSupervisor()
    {
        _nats = await NatsServer.StartAsync();
        var environment = SupervisorEnvironment.Local(_nats.Url, null,
            ("NIMMERVERSE_NATS__REJECTIONLOGINTERVAL", "00:01:00"),
            ("NIMMERVERSE_CELLS__SENSOR__PATH", SensorFile),
            ("NIMMERVERSE_CELLS__SENSOR__POLLINTERVAL", "00:00:00.05"));
        await File.WriteAllTextAsync(SensorFile, "45");
        var loaded = ConfigurationLoader.Load(null, environment, AppContext.BaseDirectory);
        Log.Logger = new LoggerConfiguration().WriteTo.Sink(new Nimmerverse.Supervisor.Logging.PriorityConsoleSink(TestContext.Progress)).CreateLogger();
        _app = SupervisorHost.Build(loaded, Log.Logger);
        await _app.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(loaded.Options.Http.Listen) };
        _client = new NatsConnection(new NatsOpts { Url = _nats.Url, Name = "outside" });
        await _client.ConnectAsync();
        var answering = await Eventually.TrueAsync(async () => (await AskAsync("add", 1, 1, TimeSpan.FromMilliseconds(500))).Envelope is not null, TimeSpan.FromSeconds(30));
        Assert.That(answering, Is.True, "the math cell answers once the supervisor is up");
    }

    [OneTimeTearDown]
    public async Task StopSupervisor()
    {
        await _client.DisposeAsync();
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _nats.DisposeAsync();
        File.Delete(SensorFile);
    }

    private static byte[] Request(string operation, params double[] operands) =>
        WireCodec.Default.Encode(Envelopes.Of(Outsider, new CellRequestBody(operation, operands)));

    private async Task<Decoded<CellResponseBody>> AskAsync(string operation, double a, double b, TimeSpan? timeout = null, string environment = "dev")
    {
        try
        {
            var reply = await _client.RequestAsync<byte[], byte[]>($"{environment}.nervous.cells.math.request", Request(operation, a, b),
                replyOpts: new NatsSubOpts { Timeout = timeout ?? TimeSpan.FromSeconds(5) });
            return WireCodec.Default.Decode<CellResponseBody>(reply.Data);
        }
        catch (Exception e) when (e is NatsNoReplyException or NatsNoRespondersException or TimeoutException)
        {
            return default;
        }
    }

    private async Task<JsonElement> NatsStatusAsync() =>
        JsonDocument.Parse(await _http.GetStringAsync(new Uri("/api/status", UriKind.Relative))).RootElement.GetProperty("nats");

    [Test]
    public async Task A_math_request_from_any_nats_client_is_answered_and_its_response_and_wave_are_published()
    {
        await using var responses = await _client.SubscribeCoreAsync<byte[]>("dev.nervous.cells.math.response");
        await using var waves = await _client.SubscribeCoreAsync<byte[]>("dev.nervous.cells.math.wave");
        await _client.PingAsync();
        var request = Request("mul", 6, 7);
        var requestId = WireCodec.Default.Decode<CellRequestBody>(request).Envelope!.Header.MessageId;

        var reply = await _client.RequestAsync<byte[], byte[]>("dev.nervous.cells.math.request", request, replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(5) });

        var answer = WireCodec.Default.Decode<CellResponseBody>(reply.Data).Envelope!;
        Assert.That(answer.Body.Result, Is.EqualTo(42));
        Assert.That(answer.Header.CorrelationId, Is.EqualTo(requestId));
        var published = WireCodec.Default.Decode<CellResponseBody>((await responses.Msgs.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5))).Data);
        Assert.That(published.Envelope!.Header.CorrelationId, Is.EqualTo(requestId));
        var wave = WireCodec.Default.Decode<WaveBody>((await waves.Msgs.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5))).Data);
        Assert.That(wave.Envelope!.Body.Domain, Is.EqualTo("math"));
        Assert.That(wave.Envelope.Body.LifeforceCost, Is.GreaterThan(0));
    }

    [Test]
    public async Task Correlated_waves_from_outside_open_a_gate_whose_transition_is_kept_in_jetstream()
    {
        await using var openings = await _client.SubscribeCoreAsync<byte[]>("dev.thalamus.gate.open");
        await _client.PingAsync();
        var waves = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var wave = Envelopes.Of(new MessageSource("camera-1", "cell", 1), new WaveBody("vision", 1, JsonDocument.Parse("""{"object": "fox"}""").RootElement, 8));
            waves.Add(wave.Header.MessageId);
            await _client.PublishAsync("dev.nervous.cells.camera.wave", WireCodec.Default.Encode(wave));
        }

        var transition = WireCodec.Default.Decode<GateTransitionBody>((await openings.Msgs.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5))).Data).Envelope!;
        Assert.That(transition.Body.GateId, Is.EqualTo("gate-vision"));
        Assert.That(transition.Body.ToState, Is.EqualTo(GateState.Open));
        Assert.That(transition.Body.TriggerWaves, Is.EqualTo(waves));
        // This very transition, by its message id (the stream's de-duplication id), not just any message in the stream.
        var stream = _client.CreateJetStreamContext();
        async Task<bool> KeptAsync()
        {
            var consumer = await stream.CreateOrderedConsumerAsync("NIMMERVERSE_DEV_GATES", new NatsJSOrderedConsumerOpts { FilterSubjects = ["dev.thalamus.gate.open"] });
            await foreach (var kept in consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 10_000 }))
            {
                if (kept.Headers?["Nats-Msg-Id"].ToString() == transition.Header.MessageId.ToString()
                    && WireCodec.Default.Decode<GateTransitionBody>(kept.Data).Envelope?.Header.MessageId == transition.Header.MessageId)
                {
                    return true;
                }
            }

            return false;
        }

        Assert.That(await Eventually.TrueAsync(KeptAsync, TimeSpan.FromSeconds(5)), Is.True, $"transition {transition.Header.MessageId} in NIMMERVERSE_DEV_GATES");
    }

    [Test]
    public async Task Every_cell_of_the_host_answers_over_nats()
    {
        async Task<CellResponseBody?> AskCellAsync(string cell, string operation)
        {
            var request = WireCodec.Default.Encode(Envelopes.Of(Outsider, new CellRequestBody(operation, [])));
            var reply = await _client.RequestAsync<byte[], byte[]>($"dev.nervous.cells.{cell}.request", request, replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(5) });
            return WireCodec.Default.Decode<CellResponseBody>(reply.Data).Envelope?.Body;
        }

        var level = await AskCellAsync("battery", "level");
        CellResponseBody? distance = null;
        await Eventually.TrueAsync(async () => (distance = await AskCellAsync("sensor", "read"))?.Result is not null, TimeSpan.FromSeconds(5));

        // The reserve may well be negative after the other tests' spending; it cannot exceed the
        // starting 100 LF, since nothing here earns any.
        Assert.That(level!.Error, Is.Null);
        Assert.That(level.Result, Is.LessThanOrEqualTo(100));
        Assert.That(distance!.Result, Is.EqualTo(45));
    }

    /// <summary>Cell -> wave -> thalamus gate -> nerve -> command, all through a real nats-server.</summary>
    [Test]
    public async Task Something_coming_close_makes_the_collision_nerve_command_the_motor_to_evade_and_then_resume()
    {
        await using var motor = await _client.SubscribeCoreAsync<byte[]>("dev.nervous.cells.motor.request");
        await _client.PingAsync();
        try
        {
            await File.WriteAllTextAsync(SensorFile, "20");
            var evade = await NextMotorCommandAsync(motor);
            await File.WriteAllTextAsync(SensorFile, "65");
            var resume = await NextMotorCommandAsync(motor);

            Assert.That(evade.Body.Operation, Is.EqualTo("evade"));
            Assert.That(evade.Header.Source.EntityType, Is.EqualTo("nerve"));
            Assert.That(resume.Body.Operation, Is.EqualTo("resume"));
        }
        finally
        {
            await File.WriteAllTextAsync(SensorFile, "45");
        }
    }

    private static async Task<Envelope<CellRequestBody>> NextMotorCommandAsync(INatsSub<byte[]> motor) =>
        WireCodec.Default.Decode<CellRequestBody>((await motor.Msgs.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15))).Data).Envelope!;

    [Test]
    public async Task A_dev_supervisor_subscribes_only_to_dev_subjects_and_never_answers_on_prod()
    {
        var bridge = await _app.Services.GetRequiredService<IRequiredActor<NatsBridgeActor>>().GetAsync();
        var subscriptions = (await bridge.Ask<NatsBridgeMessages.Subscriptions>(NatsBridgeMessages.GetSubscriptions.Instance, TimeSpan.FromSeconds(5))).All;
        var prod = await AskAsync("add", 2, 2, TimeSpan.FromSeconds(1), environment: "prod");
        var dev = await AskAsync("add", 2, 2);

        Assert.That(subscriptions.Select(s => s.Pattern.Value), Does.Contain("dev.nervous.cells.math.request"), "the math cell's own subscription is listed");
        Assert.That(subscriptions.Select(s => s.Pattern.Environment), Is.All.EqualTo("dev"), string.Join(", ", subscriptions.Select(s => s.Pattern.Value)));
        Assert.That(prod.Envelope, Is.Null, "nobody answers on prod");
        Assert.That(dev.Envelope!.Body.Result, Is.EqualTo(4));
    }

    /// <summary>
    /// 10,000 random and mutated payloads on every subject the supervisor subscribes to, with valid
    /// math requests in between: every valid request is answered, every bad payload is counted,
    /// the supervisor stays healthy.
    /// </summary>
    [Test]
    public async Task A_flood_of_garbage_is_counted_and_every_valid_request_alongside_is_still_answered()
    {
        var before = await NatsStatusAsync();
        var random = new Random(20261129);
        var wave = WireCodec.Default.Encode(Envelopes.Of(Outsider, new WaveBody("fuzz", 0.5, JsonDocument.Parse("{}").RootElement, 0.1)));
        (string Subject, byte[] Valid)[] subscribed =
        [
            ("dev.nervous.cells.math.request", Request("add", 20, 22)),
            ("dev.nervous.cells.battery.request", Request("level")),
            ("dev.nervous.cells.sensor.request", Request("read")),
            ("dev.nervous.cells.fuzz.wave", wave),
        ];
        const int perSubject = 10_000;
        var garbageCount = perSubject * subscribed.Length;
        var answered = 0;
        for (var i = 0; i < perSubject; i++)
        {
            foreach (var (subject, valid) in subscribed)
            {
                await _client.PublishAsync(subject, Mutate(valid, random));
            }

            if (i % 500 == 0 && (await AskAsync("add", i, 1)).Envelope?.Body.Result == i + 1)
            {
                answered++;
            }
        }

        await _client.PingAsync();
        Assert.That(answered, Is.EqualTo(perSubject / 500), $"every valid request sent alongside the garbage was answered; bridge: {await NatsStatusAsync()}");
        Assert.That((await AskAsync("sub", 50, 8)).Envelope!.Body.Result, Is.EqualTo(42), "and it still answers afterwards");
        Assert.That(await _http.GetStringAsync(new Uri("/healthz", UriKind.Relative)), Is.EqualTo("ok\n"));
        static long Rejected(JsonElement nats) => nats.GetProperty("rejected").EnumerateObject().Sum(p => p.Value.GetInt64());
        JsonElement after = default;
        var balanced = await Eventually.TrueAsync(async () =>
        {
            after = await NatsStatusAsync();
            return after.GetProperty("received").GetInt64() == after.GetProperty("delivered").GetInt64() + Rejected(after);
        }, TimeSpan.FromSeconds(5));
        Assert.That(balanced, Is.True, $"every message received was delivered or counted as rejected: {after}");
        var received = after.GetProperty("received").GetInt64() - before.GetProperty("received").GetInt64();
        Assert.That(received, Is.GreaterThanOrEqualTo(garbageCount + answered + 1), "every payload reached the bridge");
        Assert.That(Rejected(after) - Rejected(before), Is.GreaterThan(garbageCount / 2), "most of the garbage was refused");
        Assert.That(after.GetProperty("dropped").EnumerateObject().Count(), Is.Zero, $"nothing was dropped: {after.GetProperty("dropped")}");
    }

    private async Task<(int ExitCode, string Output, string Error)> CliAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var exit = await new NatsCommand(output, error).RunAsync(args, _nats.Url, deadline.Token);
        return (exit, output.ToString(), error.ToString());
    }

    [Test]
    public async Task The_cli_math_command_asks_the_math_cell_and_prints_its_answer()
    {
        var (exit, output, _) = await CliAsync("math", "add", "2", "3");

        Assert.That(exit, Is.Zero);
        Assert.That(JsonDocument.Parse(output).RootElement.GetProperty("body").GetProperty("result").GetDouble(), Is.EqualTo(5));
    }

    [Test]
    public async Task The_cli_wraps_a_body_in_a_fresh_envelope_and_sub_shows_what_req_and_pub_sent()
    {
        var watching = CliAsync("sub", "dev.nervous.cells.math.wave", "--count", "1");
        await Task.Delay(500);

        var (exit, output, _) = await CliAsync("req", "dev.nervous.cells.math.request", """{"operation": "mul", "operands": [6, 7]}""", "--wrap", "cell_request");
        var (subExit, waves, _) = await watching;

        Assert.That(exit, Is.Zero);
        Assert.That(JsonDocument.Parse(output).RootElement.GetProperty("body").GetProperty("result").GetDouble(), Is.EqualTo(42));
        Assert.That(subExit, Is.Zero);
        Assert.That(waves, Does.StartWith("[dev.nervous.cells.math.wave] {"));

        // pub, then sub shows that very message.
        var probe = CliAsync("sub", "dev.nervous.nerves.cli-probe.wave", "--count", "1");
        await Task.Delay(500);
        var (pubExit, _, pubError) = await CliAsync("pub", "dev.nervous.nerves.cli-probe.wave", """{"domain": "cli-probe", "confidence": 0.25, "content": {"n": 7}, "lifeforce_cost": 0}""", "--wrap", "wave");
        var (probeExit, seen, _) = await probe;

        Assert.That(pubExit, Is.Zero, pubError);
        Assert.That(probeExit, Is.Zero);
        Assert.That(seen, Does.StartWith("[dev.nervous.nerves.cli-probe.wave] {"));
        var message = JsonDocument.Parse(seen[seen.IndexOf('{', StringComparison.Ordinal)..]).RootElement;
        Assert.That(message.GetProperty("header").GetProperty("message_type").GetString(), Is.EqualTo("wave"));
        Assert.That(message.GetProperty("body").GetProperty("domain").GetString(), Is.EqualTo("cli-probe"));
        Assert.That(message.GetProperty("body").GetProperty("content").GetProperty("n").GetInt32(), Is.EqualTo(7));
    }

    [Test]
    public async Task The_cli_says_why_it_cannot_and_exits_with_a_sysexits_code()
    {
        var (noResponder, _, noResponderError) = await CliAsync("req", "dev.nervous.cells.nobody.request", "{}");
        var (badSubject, _, badSubjectError) = await CliAsync("pub", "dev.*.x.y", "{}");
        var (unreachable, _, unreachableError) = await CliAsync("math", "add", "1", "2", "--server", $"nats://127.0.0.1:{Ports.FreeTcpPort()}");

        Assert.That(noResponder, Is.EqualTo(NatsCommand.ExitUnavailable));
        Assert.That(noResponderError, Does.Contain("nobody listens on dev.nervous.cells.nobody.request"));
        Assert.That(badSubject, Is.EqualTo(Program.ExitUsage));
        Assert.That(badSubjectError, Does.Contain("position 1"));
        Assert.That(unreachable, Is.EqualTo(NatsCommand.ExitUnavailable));
        Assert.That(unreachableError, Does.Contain("cannot reach"));
    }

    /// <summary>Garbage of several kinds: random bytes, a truncated or bit-flipped valid request, a spliced header, an oversized blob.</summary>
    private static byte[] Mutate(byte[] valid, Random random)
    {
        switch (random.Next(6))
        {
            case 0:
                var noise = new byte[random.Next(0, 300)];
                random.NextBytes(noise);
                return noise;
            case 1:
                return valid[..random.Next(0, valid.Length)];
            case 2:
                var flipped = (byte[])valid.Clone();
                for (var i = 0; i < 1 + random.Next(4); i++)
                {
                    flipped[random.Next(flipped.Length)] ^= (byte)(1 << random.Next(8));
                }

                return flipped;
            case 3:
                var text = Encoding.UTF8.GetString(valid);
                string[] swaps = ["\"version\":1", "\"version\":2", "\"cell_request\"", "\"wave\"", "\"operands\":[", "\"operands\":[\"x\",", "\"add\"", "null", "20", "1e999", "\"confidence\":0.5", "\"confidence\":-3", "\"tier\":1", "\"tier\":99"];
                var at = random.Next(swaps.Length / 2) * 2;
                return Encoding.UTF8.GetBytes(text.Replace(swaps[at], swaps[at + 1], StringComparison.Ordinal));
            case 4:
                return new byte[WireCodec.DefaultMaxPayloadBytes + 1 + random.Next(1000)];
            default:
                return Encoding.UTF8.GetBytes("{\"header\":" + new string('[', random.Next(1, 200)) + "}");
        }
    }
}
