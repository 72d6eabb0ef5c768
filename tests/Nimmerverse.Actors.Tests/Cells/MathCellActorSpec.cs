using Nimmerverse.Actors.Cells.MathCell;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Protocol;
using Nimmerverse.Testing.TestKit;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Cells;

[Category(TestTier.Unit)]
public sealed class MathCellActorSpec : AkkaSpec
{
    private static readonly Subjects Dev = new("dev");

    private static Inbound<CellRequestBody> Request(string operation, double[] operands, string? replyTo = "_INBOX.asker") =>
        new("dev.nervous.cells.math.request",
            Envelopes.Of(new MessageSource("asker", "test", 1), new CellRequestBody(operation, operands)),
            replyTo);

    private (Akka.TestKit.TestProbe Bridge, Akka.TestKit.TestProbe Ledger, Akka.Actor.IActorRef Cell) StartCell()
    {
        var bridge = CreateTestProbe();
        var ledger = CreateTestProbe();
        var cell = Sys.ActorOf(MathCellActor.Props(bridge.Ref, ledger.Ref, Dev, new MathCellSettings { ComputeCost = 0.1, ReportCost = 0.05 }, "theia"));
        var subscribe = bridge.ExpectMsg<Subscribe<CellRequestBody>>();
        Assert.That(subscribe.Pattern.Value, Is.EqualTo("dev.nervous.cells.math.request"));
        Assert.That(subscribe.QueueGroup, Is.EqualTo("nimmerverse-math"));
        return (bridge, ledger, cell);
    }

    [Test]
    public void A_request_is_answered_on_its_reply_subject_and_on_the_response_subject_then_a_wave_follows()
    {
        var (bridge, ledger, cell) = StartCell();
        var request = Request("add", [2, 3]);

        cell.Tell(request, TestActor);

        var reply = bridge.ExpectMsg<Reply<CellResponseBody>>();
        Assert.That(reply.ReplyTo, Is.EqualTo("_INBOX.asker"));
        Assert.That(reply.Envelope.Body.Result, Is.EqualTo(5));
        Assert.That(reply.Envelope.Header.CorrelationId, Is.EqualTo(request.Envelope.Header.MessageId));
        var published = bridge.ExpectMsg<Publish<CellResponseBody>>();
        Assert.That(published.Subject.Value, Is.EqualTo("dev.nervous.cells.math.response"));
        Assert.That(published.Envelope, Is.EqualTo(reply.Envelope));
        var wave = bridge.ExpectMsg<Publish<WaveBody>>();
        Assert.That(wave.Subject.Value, Is.EqualTo("dev.nervous.cells.math.wave"));
        Assert.That(wave.Envelope.Body.Confidence, Is.EqualTo(1.0));
        Assert.That(wave.Envelope.Body.LifeforceCost, Is.EqualTo(0.15).Within(1e-9));
        Assert.That(wave.Envelope.Body.Content.GetProperty("result").GetDouble(), Is.EqualTo(5));
        Assert.That(ledger.ExpectMsg<LifeforceLedgerMessages.Spend>().Amount, Is.EqualTo(0.1));
        Assert.That(ledger.ExpectMsg<LifeforceLedgerMessages.Spend>().Amount, Is.EqualTo(0.05));
    }

    [Test]
    public void A_request_without_a_reply_subject_is_answered_on_the_response_subject_only()
    {
        var (bridge, _, cell) = StartCell();

        cell.Tell(Request("mul", [6, 7], replyTo: null), TestActor);

        Assert.That(bridge.ExpectMsg<Publish<CellResponseBody>>().Envelope.Body.Result, Is.EqualTo(42));
        bridge.ExpectMsg<Publish<WaveBody>>();
    }

    [Test]
    public void An_impossible_request_gets_an_error_and_a_zero_confidence_wave_and_the_cell_carries_on()
    {
        var (bridge, _, cell) = StartCell();

        cell.Tell(Request("div", [1, 0]), TestActor);
        var reply = bridge.ExpectMsg<Reply<CellResponseBody>>();
        bridge.ExpectMsg<Publish<CellResponseBody>>();
        var wave = bridge.ExpectMsg<Publish<WaveBody>>();
        cell.Tell(Request("sub", [10, 4]), TestActor);

        Assert.That(reply.Envelope.Body.Error, Is.EqualTo("division by zero"));
        Assert.That(reply.Envelope.Body.Result, Is.Null);
        Assert.That(wave.Envelope.Body.Confidence, Is.EqualTo(0.0));
        Assert.That(bridge.ExpectMsg<Reply<CellResponseBody>>().Envelope.Body.Result, Is.EqualTo(6));
    }
}

[Category(TestTier.Unit)]
public sealed class MathOperationsTests
{
    [TestCase("add", new[] { 1.0, 2, 3 }, 6)]
    [TestCase("sub", new[] { 10.0, 4, 1 }, 5)]
    [TestCase("mul", new[] { 2.0, 3, 4 }, 24)]
    [TestCase("div", new[] { 100.0, 5, 2 }, 10)]
    public void Operations_fold_left_over_their_operands(string operation, double[] operands, double result)
    {
        Assert.That(MathOperations.Apply(operation, operands), Is.EqualTo(((double?)result, (string?)null)));
    }

    [TestCase("div", new[] { 1.0, 0 }, "division by zero")]
    [TestCase("pow", new[] { 1.0, 2 }, "unknown operation 'pow'")]
    [TestCase("add", new[] { 1.0 }, "needs at least two operands")]
    [TestCase("mul", new[] { 1e200, 1e200 }, "not a finite number")]
    public void Impossible_requests_say_why(string operation, double[] operands, string error)
    {
        var (result, problem) = MathOperations.Apply(operation, operands);

        Assert.That(result, Is.Null);
        Assert.That(problem, Does.Contain(error));
    }
}
