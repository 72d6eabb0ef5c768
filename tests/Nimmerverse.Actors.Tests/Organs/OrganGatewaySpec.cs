using Akka.Actor;
using Akka.TestKit;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Actors.Organs;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;
using Nimmerverse.Testing.TestKit;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;

namespace Nimmerverse.Actors.Tests.Organs;

/// <summary>
/// The organ gateway's own decisions, with probes where the bridge, the ledger and the organ manager
/// stand (the manager and real organs are <see cref="OrganManagerSpec"/>'s; the whole path over a real
/// NATS is the supervisor's test): what it refuses and why, what an answer books, replies, keeps and
/// sends on as a wave, how failures are told, what it publishes of the organs' states, and pre-warming.
/// </summary>
[TestFixture]
[Category(TestTier.Unit)]
public sealed class OrganGatewaySpec : AkkaSpec
{
    private static readonly Subjects Dev = new("dev");
    private static readonly MessageSource Asker = new("operator@test", "operator", Tiers.Cortex);
    private static readonly VisionResult Seen = new([new Detection("circle", 0.75, new ImageBox(1, 2, 30, 30))], [new TextRead("OPEN", 0.9, new ImageBox(0, 0, 40, 10))]);
    private static readonly byte[] Png = [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3];

    private sealed record Probes(TestProbe Bridge, TestProbe Ledger, TestProbe Manager, IActorRef Gateway);

    private Probes Start(double stock = 100, OrganManagerSettings? settings = null)
    {
        var (bridge, ledger, manager) = (CreateTestProbe(), CreateTestProbe(), CreateTestProbe());
        var gateway = Sys.ActorOf(OrganGatewayActor.Props(settings ?? new OrganManagerSettings(), bridge.Ref, ledger.Ref, manager.Ref, Dev, "theia"));
        ledger.ExpectMsg<LifeforceLedgerMessages.GetBalance>();
        gateway.Tell(new LifeforceLedgerMessages.Balance(stock, 0, 0, null, new Dictionary<string, double>()));
        return new Probes(bridge, ledger, manager, gateway);
    }

    private static Inbound<OrganRequestBody> Request(string organ, OrganRequestBody body) =>
        new(Dev.OrganRequest(organ).Value, Envelopes.Of(Asker, body), "_INBOX.test.1");

    private static Reply<OrganResponseBody> ReplyOn(TestProbe bridge) => bridge.FishForMessage<Reply<OrganResponseBody>>(_ => true, TimeSpan.FromSeconds(3));

    private static OrganTrailBody TrailOn(TestProbe bridge) => bridge.FishForMessage<PublishDurable<OrganTrailBody>>(_ => true, TimeSpan.FromSeconds(3)).Envelope.Body;

    [Test]
    public void It_listens_on_each_organs_subject_in_one_queue_group_with_room_for_media_and_to_the_gates_for_prewarming()
    {
        var probes = Start();

        var subscriptions = probes.Bridge.ReceiveN(4, TimeSpan.FromSeconds(3)).ToList();
        var requests = subscriptions.OfType<Subscribe<OrganRequestBody>>().ToList();
        Assert.That(requests.Select(s => s.Pattern.Value), Is.EquivalentTo(new[] { "dev.organs.vision.detect", "dev.organs.speech.transcribe", "dev.organs.speech.speak" }));
        Assert.That(requests.Select(s => (s.QueueGroup, s.MaxPayloadBytes)).Distinct(), Is.EqualTo(new[] { (OrganGatewayActor.QueueGroup, (int?)(1024 * 1024)) }));
        Assert.That(subscriptions.OfType<Subscribe<GateTransitionBody>>().Single().Pattern.Value, Is.EqualTo("dev.thalamus.gate.*"));
    }

    [Test]
    public void An_answer_is_booked_once_replied_kept_as_a_trail_and_sent_on_as_a_wave()
    {
        var probes = Start();
        var request = Request(OrganNames.Vision, new OrganRequestBody("npc-7", Media: Png));

        probes.Gateway.Tell(request);
        var call = probes.Manager.ExpectMsg<OrganCall>();
        Assert.That(call.Organ, Is.EqualTo(OrganNames.Vision));
        probes.Gateway.Tell(new OrganAnswered(call.Id, OrganNames.Vision, Seen, TimeSpan.FromMilliseconds(180), TimeSpan.FromMilliseconds(40), TimeSpan.FromMilliseconds(150), "0"));

        var spend = probes.Ledger.FishForMessage<LifeforceLedgerMessages.Spend>(_ => true, TimeSpan.FromSeconds(3));
        var reply = ReplyOn(probes.Bridge);
        var trail = TrailOn(probes.Bridge);
        var wave = probes.Bridge.FishForMessage<Publish<WaveBody>>(_ => true, TimeSpan.FromSeconds(3));
        Assert.Multiple(() =>
        {
            Assert.That((spend.Amount, spend.Source), Is.EqualTo((8.0, "npc-7")), "vision costs 8 LF, booked to its requester");
            Assert.That(reply.ReplyTo, Is.EqualTo("_INBOX.test.1"));
            Assert.That(reply.Envelope.Header.CorrelationId, Is.EqualTo(request.Envelope.Header.MessageId));
            Assert.That(reply.Envelope.Body.Problem(), Is.Null);
            Assert.That((reply.Envelope.Body.Status, reply.Envelope.Body.Vision, reply.Envelope.Body.LoadMs, reply.Envelope.Body.LifeforceSpent), Is.EqualTo((RequestStatus.Answered, Seen, 150.0, 8.0)));
            Assert.That(trail.Problem(), Is.Null);
            Assert.That((trail.RequestId, trail.Status, trail.Card, trail.Confidence), Is.EqualTo((request.Envelope.Header.MessageId, RequestStatus.Answered, "0", (double?)0.9)));
            Assert.That(trail.Input, Is.EqualTo("image/png, 7 bytes"), "the input summarised, not kept");
            Assert.That(trail.Output, Is.EqualTo("circle 0.75 at 1,2 30x30; text \"OPEN\" 0.90"));
            Assert.That(wave.Subject.Value, Is.EqualTo("dev.organs.vision.wave"));
            Assert.That((wave.Envelope.Body.Domain, wave.Envelope.Body.Confidence, wave.Envelope.Body.LifeforceCost), Is.EqualTo((OrganNames.Vision, 0.9, 8.0)));
            Assert.That(wave.Envelope.Body.Content.GetProperty("labels")[0].GetString(), Is.EqualTo("circle"));
        });

        probes.Gateway.Tell(new OrganAnswered(call.Id, OrganNames.Vision, Seen, TimeSpan.Zero, TimeSpan.Zero, null, "0"));
        Assert.That(probes.Ledger.ReceiveWhile<object>(TimeSpan.FromMilliseconds(600), m => m).OfType<LifeforceLedgerMessages.Spend>(), Is.Empty, "the same answer twice is booked once");
    }

    [Test]
    public void What_the_organism_cannot_pay_counting_the_calls_in_hand_is_refused_no_lifeforce()
    {
        var probes = Start(stock: 12);

        probes.Gateway.Tell(Request(OrganNames.Vision, new OrganRequestBody("npc-7", Media: Png)));
        probes.Manager.ExpectMsg<OrganCall>();
        probes.Gateway.Tell(Request(OrganNames.SpeechToText, new OrganRequestBody("npc-7", Media: Png)));

        Assert.That(TrailOn(probes.Bridge).Reason, Is.EqualTo(OrganReasons.NoLifeforce));
        var refused = ReplyOn(probes.Bridge).Envelope.Body;
        Assert.That((refused.Status, refused.Reason, refused.Organ), Is.EqualTo((RequestStatus.Refused, OrganReasons.NoLifeforce, OrganNames.SpeechToText)));
        Assert.That(refused.Detail, Does.Contain("costs 5 LF").And.Contain("4 LF to spare"), "12 LF less the 8 the vision call in hand may cost");
        probes.Manager.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [TestCase(OrganNames.Vision, null, "text", "vision needs media")]
    [TestCase(OrganNames.TextToSpeech, new byte[] { 1 }, null, "text-to-speech needs text")]
    public void A_request_without_what_its_operation_needs_is_refused_invalid_request(string organ, byte[]? media, string? text, string detail)
    {
        var probes = Start();

        probes.Gateway.Tell(Request(organ, new OrganRequestBody("operator", media, text)));

        var refused = ReplyOn(probes.Bridge).Envelope.Body;
        Assert.That((refused.Status, refused.Reason), Is.EqualTo((RequestStatus.Refused, OrganReasons.InvalidRequest)));
        Assert.That(refused.Detail, Does.Contain(detail));
        probes.Manager.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [TestCase(OrganReasons.InputRefused, RequestStatus.Refused)]
    [TestCase(OrganReasons.OrganFailed, RequestStatus.Failed)]
    [TestCase(OrganReasons.Timeout, RequestStatus.Failed)]
    public void A_call_the_manager_could_not_answer_is_told_as_a_refusal_or_a_failure_and_costs_nothing(string reason, string status)
    {
        var probes = Start();
        probes.Gateway.Tell(Request(OrganNames.Vision, new OrganRequestBody("npc-7", Media: Png)));
        var call = probes.Manager.ExpectMsg<OrganCall>();

        probes.Gateway.Tell(new OrganCallFailed(call.Id, OrganNames.Vision, reason, "it went wrong\nin two lines"));

        Assert.That(TrailOn(probes.Bridge).Status, Is.EqualTo(status));
        var answer = ReplyOn(probes.Bridge).Envelope.Body;
        Assert.That(answer.Problem(), Is.Null, "the detail was made printable");
        Assert.That((answer.Status, answer.Reason, answer.LifeforceSpent), Is.EqualTo((status, reason, 0.0)));
        Assert.That(probes.Ledger.ReceiveWhile<object>(TimeSpan.FromMilliseconds(300), m => m).OfType<LifeforceLedgerMessages.Spend>(), Is.Empty);
    }

    [Test]
    public void A_redelivered_request_in_hand_is_not_asked_twice_and_a_stop_fails_what_is_in_hand()
    {
        var probes = Start();
        var request = Request(OrganNames.TextToSpeech, new OrganRequestBody("operator", Text: "stop"));

        probes.Gateway.Tell(request);
        probes.Gateway.Tell(request);
        probes.Manager.ExpectMsg<OrganCall>();
        probes.Manager.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        var status = probes.Gateway.Ask<OrganGatewayMessages.OrgansStatus>(OrganGatewayMessages.GetStatus.Instance, TimeSpan.FromSeconds(3)).Result;
        Assert.That((status.InHand, status.Organs[OrganNames.TextToSpeech].InHand, status.LifeforceHeld), Is.EqualTo((1, 1, 4.0)), "the status shows the queue");

        Watch(probes.Gateway);
        Sys.Stop(probes.Gateway);
        ExpectTerminated(probes.Gateway);
        var answer = ReplyOn(probes.Bridge).Envelope.Body;
        Assert.That((answer.Status, answer.Reason), Is.EqualTo((RequestStatus.Failed, OrganReasons.ShuttingDown)));
    }

    [Test]
    public void Each_lifecycle_step_goes_out_as_organ_state()
    {
        var probes = Start();

        Sys.EventStream.Publish(new OrganStateChanged(OrganNames.Vision, OrganState.Ready, "1", 4242, TimeSpan.FromMilliseconds(181), null));

        var published = probes.Bridge.FishForMessage<Publish<OrganStateBody>>(_ => true, TimeSpan.FromSeconds(3));
        Assert.That(published.Subject.Value, Is.EqualTo("dev.organs.vision.state"));
        Assert.That(published.Envelope.Body, Is.EqualTo(new OrganStateBody(OrganNames.Vision, OrganStates.Ready, "1", 4242, 181)));
        AwaitAssert(() =>
        {
            var status = probes.Gateway.Ask<OrganGatewayMessages.OrgansStatus>(OrganGatewayMessages.GetStatus.Instance, TimeSpan.FromSeconds(3)).Result;
            Assert.That((status.Organs[OrganNames.Vision].State, status.Organs[OrganNames.Vision].Pid), Is.EqualTo((OrganStates.Ready, (int?)4242)));
        }, TimeSpan.FromSeconds(3));
    }

    [TestCase("proximity", GateState.Closed, GateState.Stable, OrganNames.Vision)]
    [TestCase("proximity", GateState.Stable, GateState.Open, OrganNames.Vision)]
    [TestCase("proximity", GateState.Open, GateState.Stable, null)]
    [TestCase("energy", GateState.Stable, GateState.Open, null)]
    [TestCase("speech", GateState.Stable, GateState.Open, OrganNames.SpeechToText)]
    public void A_gate_rising_in_a_domain_mapped_to_an_organ_prewarms_it(string domain, GateState from, GateState to, string? organ)
    {
        var settings = new OrganManagerSettings();
        settings.Prewarm["speech"] = OrganNames.SpeechToText;
        var probes = Start(settings: settings);

        probes.Gateway.Tell(new Inbound<GateTransitionBody>("dev.thalamus.gate.open",
            Envelopes.Of(Asker, new GateTransitionBody($"gate-{domain}", domain, from, to, 0.6, 0.9, [], Tiers.Nerves)), null));

        if (organ is null)
        {
            probes.Manager.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        }
        else
        {
            Assert.That(probes.Manager.ExpectMsg<PrewarmOrgan>().Organ, Is.EqualTo(organ));
        }
    }
}
