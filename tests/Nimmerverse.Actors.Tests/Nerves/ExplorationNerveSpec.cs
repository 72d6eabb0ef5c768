using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Actors.Nerves;
using Nimmerverse.Protocol;
using Nimmerverse.Testing.TestKit;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Nerves;

[Category(TestTier.Unit)]
public sealed class ExplorationNerveSpec : AkkaSpec
{
    private static readonly Subjects Dev = new("dev");

    private static Inbound<GateTransitionBody> Gate(string domain, GateState to) =>
        new($"dev.thalamus.gate.{(to == GateState.Open ? "open" : "close")}", Envelopes.Of(new MessageSource("thalamus", "thalamus", 2),
            new GateTransitionBody($"gate-{domain}", domain, to == GateState.Open ? GateState.Stable : GateState.Open, to, 0, 1, [], 2)), null);

    private (Akka.TestKit.TestProbe Bridge, Akka.TestKit.TestProbe Ledger, Akka.Actor.IActorRef Nerve) StartExploring()
    {
        var bridge = CreateTestProbe();
        var ledger = CreateTestProbe();
        var nerve = Sys.ActorOf(ExplorationNerveActor.Props(bridge.Ref, ledger.Ref, Dev, new ExplorationSettings { StepInterval = TimeSpan.FromMilliseconds(30), Seed = 7 }, "theia"));
        bridge.ExpectMsg<Subscribe<GateTransitionBody>>();
        Assert.That(bridge.ExpectMsg<Subscribe<NerveCommandBody>>().Pattern.ToString(), Is.EqualTo("dev.nervous.nerves.exploration.command"));
        return (bridge, ledger, nerve);
    }

    private static Direction NextMove(Akka.TestKit.TestProbe bridge)
    {
        var command = bridge.ExpectMsg<Publish<CellRequestBody>>();
        Assert.That(command.Subject.Value, Is.EqualTo("dev.nervous.cells.motor.request"));
        Assert.That(command.Envelope.Body.Operation, Is.EqualTo("move"));
        return (Direction)(int)command.Envelope.Body.Operands[0];
    }

    [Test]
    public void It_walks_the_grid_one_paid_move_at_a_time_and_never_straight_back()
    {
        var (bridge, ledger, _) = StartExploring();

        var moves = Enumerable.Range(0, 40).Select(_ => NextMove(bridge)).ToList();

        Assert.That(moves.Zip(moves.Skip(1)).Any(pair => (int)pair.Second == ((int)pair.First + 2) % 4), Is.False);
        Assert.That(moves.Distinct().Count(), Is.EqualTo(4), "a walk of 40 steps uses every direction");
        Assert.That(ledger.ExpectMsg<LifeforceLedgerMessages.Spend>().Amount, Is.EqualTo(0.3));
    }

    [Test]
    public void It_pauses_while_danger_or_a_low_reserve_gate_is_open_and_goes_on_when_both_have_left_open()
    {
        var (bridge, _, nerve) = StartExploring();
        NextMove(bridge);

        nerve.Tell(Gate("proximity", GateState.Open), TestActor);
        nerve.Tell(Gate("energy", GateState.Open), TestActor);
        bridge.ReceiveWhile(TimeSpan.FromMilliseconds(100), message => message);
        bridge.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        nerve.Tell(Gate("proximity", GateState.Stable), TestActor);
        bridge.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        nerve.Tell(Gate("vision", GateState.Open), TestActor);
        nerve.Tell(Gate("energy", GateState.Closed), TestActor);

        NextMove(bridge);
    }

    private static Inbound<NerveCommandBody> Command(string command, int? durationMs = null) =>
        new("dev.nervous.nerves.exploration.command", Envelopes.Of(new MessageSource("boundary@theia", "boundary", 4), new NerveCommandBody(command, durationMs)), null);

    [Test]
    public void The_cortex_pauses_it_for_a_while_or_until_it_resumes_it()
    {
        var (bridge, _, nerve) = StartExploring();
        NextMove(bridge);

        nerve.Tell(Command("pause", 400), TestActor);
        bridge.ReceiveWhile(TimeSpan.FromMilliseconds(50), message => message);
        bridge.ExpectNoMsg(TimeSpan.FromMilliseconds(250));
        NextMove(bridge); // the pause ran out

        nerve.Tell(Command("pause", 60_000), TestActor);
        bridge.ReceiveWhile(TimeSpan.FromMilliseconds(50), message => message);
        bridge.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        nerve.Tell(Command("resume"), TestActor);
        NextMove(bridge);
    }
}
