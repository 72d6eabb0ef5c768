using System.Text;
using System.Text.Json;
using Akka.Actor;
using NATS.Client.Core;
using NATS.Net;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Nats;
using Nimmerverse.Testing.TestKit;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;

namespace Nimmerverse.Actors.Tests.Nats;

/// <summary>The bridge against a real nats-server: typed delivery, rejection, publishing, isolation, durability, outages.</summary>
[Category(TestTier.Integration)]
public sealed class NatsBridgeActorSpec : AkkaSpec
{
    private static readonly Subjects Dev = new("dev");
    private static readonly MessageSource Tester = new("spec", "test", 1);
    private NatsServer _server = null!;
    private NatsConnection _bridgeConnection = null!;
    private NatsConnection _outside = null!;
    private BridgeCounters _counters = null!;

    [SetUp]
    public async Task StartServer()
    {
        _server = await NatsServer.StartAsync();
        _bridgeConnection = new NatsConnection(new NatsOpts { Url = _server.Url, Name = "bridge-under-test", MaxReconnectRetry = -1, ReconnectWaitMax = TimeSpan.FromMilliseconds(200) });
        _outside = new NatsConnection(new NatsOpts { Url = _server.Url, Name = "outside-client", MaxReconnectRetry = -1 });
        await _bridgeConnection.ConnectAsync();
        await _outside.ConnectAsync();
        _counters = new BridgeCounters();
    }

    [TearDown]
    public async Task StopServer()
    {
        await _outside.DisposeAsync();
        await _bridgeConnection.DisposeAsync();
        await _server.DisposeAsync();
    }

    private IActorRef Bridge(string environment = "dev") =>
        Sys.ActorOf(NatsBridgeActor.Props(_bridgeConnection, NatsBridgeSettings.Default with { RejectionLogInterval = TimeSpan.FromMinutes(1) }, environment, _counters));

    private static byte[] RequestBytes(string operation, params double[] operands) =>
        WireCodec.Default.Encode(Envelopes.Of(Tester, new CellRequestBody(operation, operands)));

    private Akka.TestKit.TestProbe SubscribedProbe(IActorRef bridge, SubjectPattern pattern)
    {
        var probe = CreateTestProbe();
        bridge.Tell(new Subscribe<CellRequestBody>(pattern, probe.Ref));
        probe.ExpectMsg<Subscribed>(TimeSpan.FromSeconds(5));
        return probe;
    }

    [Test]
    public async Task A_valid_message_is_delivered_typed_with_its_reply_subject()
    {
        var bridge = Bridge();
        var probe = SubscribedProbe(bridge, Dev.CellRequest("math"));

        await _outside.PublishAsync(Dev.CellRequest("math").Value, RequestBytes("add", 2, 3), replyTo: "_INBOX.spec");

        var inbound = probe.ExpectMsg<Inbound<CellRequestBody>>(TimeSpan.FromSeconds(5));
        Assert.That(inbound.Envelope.Body.Operands, Is.EqualTo(new[] { 2.0, 3.0 }));
        Assert.That(inbound.ReplyTo, Is.EqualTo("_INBOX.spec"));
        Assert.That(inbound.Subject, Is.EqualTo("dev.nervous.cells.math.request"));
    }

    [Test]
    public async Task Garbage_is_rejected_and_counted_by_reason_and_what_follows_still_arrives()
    {
        var bridge = Bridge();
        var probe = SubscribedProbe(bridge, Dev.CellRequest("math"));
        var subject = Dev.CellRequest("math").Value;

        await _outside.PublishAsync(subject, Encoding.UTF8.GetBytes("{ not json"));
        await _outside.PublishAsync(subject, Encoding.UTF8.GetBytes("""{"header": {"message_type": "telepathy"}, "body": {}}"""));
        await _outside.PublishAsync(subject, new byte[100_000]);
        await _outside.PublishAsync(subject, Array.Empty<byte>());
        await _outside.PublishAsync(subject, RequestBytes("mul", 6, 7));

        var inbound = probe.ExpectMsg<Inbound<CellRequestBody>>(TimeSpan.FromSeconds(5));
        Assert.That(inbound.Envelope.Body.Operation, Is.EqualTo("mul"));
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        var stats = _counters.Snapshot();
        Assert.That(stats.Received, Is.EqualTo(5));
        Assert.That(stats.Delivered, Is.EqualTo(1));
        Assert.That(stats.Rejected[RejectionReason.MalformedJson], Is.EqualTo(2), "the broken JSON and the empty payload");
        Assert.That(stats.Rejected[RejectionReason.UnknownMessageType], Is.EqualTo(1));
        Assert.That(stats.Rejected[RejectionReason.Oversized], Is.EqualTo(1));
    }

    [Test]
    public async Task Waves_for_the_gates_arrive_as_digests_in_order_plain_or_not_and_garbage_is_counted()
    {
        var bridge = Bridge();
        var probe = CreateTestProbe();
        bridge.Tell(new SubscribeWaveDigests(Dev.Waves, probe.Ref));
        probe.ExpectMsg<Subscribed>(TimeSpan.FromSeconds(5));
        var subject = Dev.CellWave("math").Value;
        var plain = Envelopes.Of(Tester, new WaveBody("math", 0.25, JsonDocument.Parse("""{"result": 5}""").RootElement, 0.1));
        // Valid, but not the shape the quick reader takes: the full decoder reads it.
        var answer = Envelopes.Of(Tester, new WaveBody("speech", 0.75, JsonDocument.Parse("{}").RootElement, 0), correlationId: Guid.NewGuid());
        var many = Enumerable.Range(0, 200).Select(i => Envelopes.Of(Tester, new WaveBody($"d{i % 7}", 0.5, JsonDocument.Parse("{}").RootElement, 0))).ToList();

        await _outside.PublishAsync(subject, WireCodec.Default.Encode(plain));
        await _outside.PublishAsync(subject, Encoding.UTF8.GetBytes("""{"header": {"message_type": "wave"}, "body": {}}"""));
        await _outside.PublishAsync(subject, Array.Empty<byte>());
        await _outside.PublishAsync(subject, WireCodec.Default.Encode(answer));
        foreach (var wave in many)
        {
            await _outside.PublishAsync(subject, WireCodec.Default.Encode(wave));
        }

        var received = new List<WaveDigest>();
        while (received.Count < 202)
        {
            received.AddRange(probe.ExpectMsg<WaveDigests>(TimeSpan.FromSeconds(5)).Waves);
        }

        Assert.That(received, Is.EqualTo(new[] { plain, answer }.Concat(many).Select(WaveDigest.Of)));
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        var stats = _counters.Snapshot();
        Assert.That((stats.Received, stats.Delivered), Is.EqualTo((204L, 202L)));
        Assert.That(stats.Rejected[RejectionReason.InvalidHeader] + stats.Rejected[RejectionReason.MalformedJson], Is.EqualTo(2), "the broken wave and the empty payload");
    }

    [Test]
    public async Task Permission_violations_are_counted_by_identity_its_own_and_those_NPCs_report()
    {
        // A server that refuses this bridge's user one subject.
        var config = Path.Combine(Path.GetTempPath(), $"nv-bridge-perms-{Guid.NewGuid():N}.conf");
        await File.WriteAllTextAsync(config, """
            authorization {
              users = [ { user: bridge, password: secret, permissions: { publish: { deny: ["dev.nervous.cells.forbidden.>"] } } } ]
            }
            """);
        try
        {
            await using var server = await NatsServer.StartAsync(config: config);
            await using var connection = new NatsConnection(new NatsOpts { Url = server.Url, AuthOpts = new NatsAuthOpts { Username = "bridge", Password = "secret" } });
            await connection.ConnectAsync();
            var bridge = Sys.ActorOf(NatsBridgeActor.Props(connection, NatsBridgeSettings.Default, "dev", _counters));
            var wave = Envelopes.Of(Tester, new WaveBody("forbidden", 0.5, JsonDocument.Parse("{}").RootElement, 0.1));

            bridge.Tell(new Publish<WaveBody>(Dev.CellWave("forbidden"), wave));
            await bridge.Ask<BridgeStats>(GetStats.Instance, TimeSpan.FromSeconds(5)); // started: on the event stream
            Sys.EventStream.Publish(new NpcPermissionViolations(3, 2));
            Sys.EventStream.Publish(new NpcPermissionViolations(3, 1));

            var counted = await Eventually.TrueAsync(() => Task.FromResult(_counters.Snapshot().PermissionViolations.Count == 2), TimeSpan.FromSeconds(10));
            Assert.That(counted, Is.True, string.Join(", ", _counters.Snapshot().PermissionViolations));
            Assert.That(_counters.Snapshot().PermissionViolations, Is.EquivalentTo(new Dictionary<string, long> { ["supervisor"] = 1, ["npc-3"] = 3 }));
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Test]
    public async Task Publish_and_reply_reach_plain_nats_clients()
    {
        var bridge = Bridge();
        await using var waves = await _outside.SubscribeCoreAsync<byte[]>(Dev.CellWave("math").Value);
        var requester = CreateTestProbe();
        bridge.Tell(new Subscribe<CellRequestBody>(Dev.CellRequest("echo"), requester.Ref));
        requester.ExpectMsg<Subscribed>();

        var wave = Envelopes.Of(Tester, new WaveBody("math", 1, JsonDocument.Parse("{}").RootElement, 0.1));
        bridge.Tell(new Publish<WaveBody>(Dev.CellWave("math"), wave));
        var received = await waves.Msgs.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(WireCodec.Default.Decode<WaveBody>(received.Data).Envelope!.Header.MessageId, Is.EqualTo(wave.Header.MessageId));

        var answer = _outside.RequestAsync<byte[], byte[]>(Dev.CellRequest("echo").Value, RequestBytes("add", 1), replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(5) });
        var inbound = requester.ExpectMsg<Inbound<CellRequestBody>>(TimeSpan.FromSeconds(5));
        var response = Envelopes.Of(Tester, CellResponseBody.Success(1), correlationId: inbound.Envelope.Header.MessageId);
        bridge.Tell(new Reply<CellResponseBody>(inbound.ReplyTo!, response));
        var decoded = WireCodec.Default.Decode<CellResponseBody>((await answer).Data);
        Assert.That(decoded.Envelope!.Header.CorrelationId, Is.EqualTo(inbound.Envelope.Header.MessageId));
    }

    [Test]
    public async Task An_actor_can_ask_over_nats_and_gets_a_typed_answer_or_the_reason_there_is_none()
    {
        var bridge = Bridge();
        await using var responder = await _outside.SubscribeCoreAsync<byte[]>(Dev.CellRequest("oracle").Value);
        await _outside.PingAsync();
        var answering = Task.Run(async () =>
        {
            var request = await responder.Msgs.ReadAsync();
            var id = WireCodec.Default.Decode<CellRequestBody>(request.Data).Envelope!.Header.MessageId;
            await _outside.PublishAsync(request.ReplyTo!, WireCodec.Default.Encode(Envelopes.Of(Tester, CellResponseBody.Success(42), correlationId: id)));
        });
        var question = Envelopes.Of(Tester, new CellRequestBody("ask", []));

        bridge.Tell(new Request<CellRequestBody, CellResponseBody>(Dev.CellRequest("oracle"), question, TimeSpan.FromSeconds(5)), TestActor);
        var answer = ExpectMsg<Response<CellResponseBody>>(TimeSpan.FromSeconds(5));
        await answering;
        bridge.Tell(new Request<CellRequestBody, CellResponseBody>(Dev.CellRequest("nobody"), question, TimeSpan.FromSeconds(1)), TestActor);
        var nobody = ExpectMsg<RequestFailed>(TimeSpan.FromSeconds(5));
        bridge.Tell(new Request<CellRequestBody, CellResponseBody>(new Subjects("prod").CellRequest("oracle"), question, TimeSpan.FromSeconds(1)), TestActor);
        var prod = ExpectMsg<RequestFailed>();

        Assert.That(answer.Envelope.Body.Result, Is.EqualTo(42));
        Assert.That(answer.RequestId, Is.EqualTo(question.Header.MessageId));
        Assert.That(nobody.Reason, Is.EqualTo("nobody listens on dev.nervous.cells.nobody.request"));
        Assert.That(prod.Reason, Does.Contain("is not a subject of dev"));
    }

    [Test]
    public async Task A_dev_bridge_never_sees_prod_traffic_and_refuses_to_touch_prod_subjects()
    {
        var bridge = Bridge("dev");
        var devProbe = SubscribedProbe(bridge, SubjectPattern.Parse("dev.>"));
        var prodProbe = CreateTestProbe();
        bridge.Tell(new Subscribe<CellRequestBody>(SubjectPattern.Parse("prod.>"), prodProbe.Ref));
        await using var prodWatch = await _outside.SubscribeCoreAsync<byte[]>("prod.>");

        await _outside.PublishAsync("prod.nervous.cells.math.request", RequestBytes("add", 1));
        await _outside.PublishAsync("dev.nervous.cells.math.request", RequestBytes("sub", 1));
        var wave = Envelopes.Of(Tester, new WaveBody("math", 1, JsonDocument.Parse("{}").RootElement, 0.1));
        bridge.Tell(new Publish<WaveBody>(new Subjects("prod").CellWave("math"), wave));

        Assert.That(devProbe.ExpectMsg<Inbound<CellRequestBody>>(TimeSpan.FromSeconds(5)).Envelope.Body.Operation, Is.EqualTo("sub"));
        devProbe.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        prodProbe.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        var prodSeen = await prodWatch.Msgs.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(prodSeen.Subject, Is.EqualTo("prod.nervous.cells.math.request"), "only the outside client's own prod message");
        Assert.That(prodWatch.Msgs.TryRead(out _), Is.False, "the bridge published nothing on prod");
    }

    [Test]
    public async Task A_durable_publish_is_stored_once_even_when_sent_twice()
    {
        var bridge = Bridge();
        var subject = Dev.GateTransition(open: true);
        var transition = Envelopes.Of(Tester,
            new GateTransitionBody("gate-math", "math", GateState.Stable, GateState.Open, 0.6, 0.9, [], 2));
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                await _outside.CreateJetStreamContext().GetStreamAsync("NIMMERVERSE_DEV_GATES");
                return true;
            }
            catch (NATS.Client.JetStream.NatsJSApiException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(10));

        bridge.Tell(new PublishDurable<GateTransitionBody>(subject, transition));
        bridge.Tell(new PublishDurable<GateTransitionBody>(subject, transition));

        Assert.That(await Eventually.TrueAsync(() => Task.FromResult(_counters.Snapshot().DurablePublished == 2), TimeSpan.FromSeconds(10)), Is.True);
        var stream = await _outside.CreateJetStreamContext().GetStreamAsync("NIMMERVERSE_DEV_GATES");
        Assert.That(stream.Info.State.Messages, Is.EqualTo(1));
        Assert.That(stream.Info.Config.MaxAge, Is.EqualTo(TimeSpan.FromDays(7)), "bounded: kept a week, long past the transition's recording");
        Assert.That(_counters.Snapshot().DurableDuplicates, Is.EqualTo(1));
    }

    [Test]
    public async Task After_a_server_outage_the_bridge_reconnects_and_delivers_again_without_restarting()
    {
        var bridge = Bridge();
        var probe = SubscribedProbe(bridge, Dev.CellRequest("math"));
        Watch(bridge);

        await _server.StopAsync();
        await Task.Delay(500);
        await _server.RestartAsync();
        Assert.That(await Eventually.TrueAsync(() => Task.FromResult(_bridgeConnection.ConnectionState == NatsConnectionState.Open && _outside.ConnectionState == NatsConnectionState.Open), TimeSpan.FromSeconds(15)), Is.True);
        await _outside.PublishAsync(Dev.CellRequest("math").Value, RequestBytes("div", 8, 2));

        Assert.That(probe.ExpectMsg<Inbound<CellRequestBody>>(TimeSpan.FromSeconds(10)).Envelope.Body.Operation, Is.EqualTo("div"));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.That(_counters.Snapshot().Disconnects, Is.GreaterThanOrEqualTo(1));
    }

    /// <summary>Subscribes in PreStart, as every actor does; forwards what it gets; throws on "crash".</summary>
    private sealed class Subscriber : ReceiveActor
    {
        private readonly IActorRef _bridge;

        public Subscriber(IActorRef bridge, IActorRef forwardTo)
        {
            _bridge = bridge;
            Receive<Subscribed>(_ => { });
            Receive<Inbound<CellRequestBody>>(inbound =>
            {
                if (inbound.Envelope.Body.Operation == "crash")
                {
                    throw new InvalidOperationException("a poison message (test)");
                }

                forwardTo.Tell(inbound);
            });
        }

        protected override void PreStart() => _bridge.Tell(new Subscribe<CellRequestBody>(Dev.CellRequest("math"), Self));
    }

    [Test]
    public async Task An_actor_restarted_three_times_keeps_one_subscription_and_a_stopped_one_none()
    {
        var bridge = Bridge();
        var probe = CreateTestProbe();
        var subscriber = Sys.ActorOf(Props.Create(() => new Subscriber(bridge, probe.Ref)));
        async Task<int> SubscriptionsAsync() =>
            (await bridge.Ask<Subscriptions>(GetSubscriptions.Instance, TimeSpan.FromSeconds(5))).All.Count(s => s.Target == subscriber.Path.ToString());
        AwaitCondition(() => SubscriptionsAsync().Result == 1, TimeSpan.FromSeconds(5));
        await Task.Delay(300); // the subscription is in force

        for (var i = 0; i < 3; i++)
        {
            await _outside.PublishAsync(Dev.CellRequest("math").Value, RequestBytes("crash", 1, 1));
        }

        await Task.Delay(500);
        await _outside.PublishAsync(Dev.CellRequest("math").Value, RequestBytes("add", 2, 3));

        Assert.That(probe.ExpectMsg<Inbound<CellRequestBody>>(TimeSpan.FromSeconds(5)).Envelope.Body.Operation, Is.EqualTo("add"));
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(500)); // not once per restart
        Assert.That(await SubscriptionsAsync(), Is.EqualTo(1));

        Sys.Stop(subscriber);
        AwaitCondition(() => SubscriptionsAsync().Result == 0, TimeSpan.FromSeconds(5));
    }

    [TestCase("-1", "invalid_body", TestName = "A world step for NPC -1 is answered with its refusal")]
    [TestCase("9223372036854775808", "invalid_body", TestName = "A world step for NPC 2^63 is answered with its refusal")]
    [TestCase("\"5\"", "invalid_body", TestName = "A world step for NPC \"5\" (a string) is answered with its refusal")]
    public async Task A_refused_request_is_answered_with_the_reason(string npcId, string reason)
    {
        var bridge = Bridge();
        var world = CreateTestProbe();
        bridge.Tell(new Subscribe<WorldStepBody>(Dev.WorldStep, world.Ref));
        world.ExpectMsg<Subscribed>(TimeSpan.FromSeconds(5));
        var requestId = Guid.NewGuid();
        var request = $$$"""{"header": {"message_id": "{{{requestId}}}", "message_type": "world_step", "version": 1, "timestamp": "2026-12-02T07:00:00Z", "source": {"entity_id": "npc-5", "entity_type": "npc", "tier": 1}}, "body": {"npc_id": {{{npcId}}}, "action": "N"}}""";

        var reply = await _outside.RequestAsync<byte[], byte[]>(Dev.WorldStep.Value, Encoding.UTF8.GetBytes(request), replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(2) });

        var refusal = WireCodec.Default.Decode<RejectedBody>(reply.Data).Envelope!;
        Assert.That(refusal.Body.Reason, Is.EqualTo(reason), refusal.Body.Detail);
        Assert.That(refusal.Header.CorrelationId, Is.EqualTo(requestId));
        world.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // the world never saw it
    }

    [Test]
    public async Task A_state_about_another_npc_than_its_subject_is_rejected_and_counted_and_the_right_one_delivered()
    {
        var bridge = Bridge();
        var npc = CreateTestProbe();
        bridge.Tell(new Subscribe<NpcStateBody>(Dev.NpcState(5), npc.Ref));
        npc.ExpectMsg<Subscribed>(TimeSpan.FromSeconds(5));
        byte[] State(int npcId) => WireCodec.Default.Encode(Envelopes.Of(Tester, new NpcStateBody(npcId, 1, 5, 5, 0, 0, 0, 0, 0, 0, 0, 0)));

        await _outside.PublishAsync(Dev.NpcState(5).Value, State(7));
        await _outside.PublishAsync(Dev.NpcState(5).Value, State(5));

        Assert.That(npc.ExpectMsg<Inbound<NpcStateBody>>(TimeSpan.FromSeconds(5)).Envelope.Body.NpcId, Is.EqualTo(5));
        npc.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.That(_counters.Snapshot().Rejected.GetValueOrDefault(RejectionReason.SubjectMismatch), Is.EqualTo(1));
    }
}
