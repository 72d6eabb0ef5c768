using System.Text.Json;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Actors.Nerves;
using Nimmerverse.Protocol;
using Nimmerverse.Testing.TestKit;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Nerves;

[Category(TestTier.Unit)]
public sealed class CollisionAvoidanceNerveSpec : AkkaSpec
{
    private static readonly Subjects Dev = new("dev");
    private static readonly MessageSource Thalamus = new("thalamus", "thalamus", 2);

    private static Inbound<GateTransitionBody> GateOpened(string domain) =>
        new("dev.thalamus.gate.open", Envelopes.Of(Thalamus,
            new GateTransitionBody($"gate-{domain}", domain, GateState.Stable, GateState.Open, 0.6, 1, [], 2)), null);

    private static Inbound<WaveBody> Distance(double centimetres) =>
        new("dev.nervous.cells.sensor.wave", Envelopes.Of(new MessageSource("sensor", "cell", 1),
            new WaveBody("proximity", 0.5, JsonSerializer.SerializeToElement(new Dictionary<string, double> { ["distance_cm"] = centimetres }), 0.4)), null);

    private (Akka.TestKit.TestProbe Bridge, Akka.TestKit.TestProbe Ledger, Akka.Actor.IActorRef Nerve) StartNerve(int reflexAfter = 10)
    {
        var bridge = CreateTestProbe();
        var ledger = CreateTestProbe();
        var nerve = Sys.ActorOf(CollisionAvoidanceNerveActor.Props(bridge.Ref, ledger.Ref, Dev, CollisionAvoidanceSettings.Default with { ReflexAfter = reflexAfter }, "theia"));
        Assert.That(bridge.ExpectMsg<Subscribe<GateTransitionBody>>().Pattern.Value, Is.EqualTo("dev.thalamus.gate.*"));
        Assert.That(bridge.ExpectMsg<Subscribe<WaveBody>>().Pattern.Value, Is.EqualTo("dev.nervous.cells.sensor.wave"));
        return (bridge, ledger, nerve);
    }

    private static string MotorCommand(Akka.TestKit.TestProbe bridge)
    {
        var command = bridge.ExpectMsg<Publish<CellRequestBody>>();
        Assert.That(command.Subject.Value, Is.EqualTo("dev.nervous.cells.motor.request"));
        return command.Envelope.Body.Operation;
    }

    [Test]
    public void An_opened_proximity_gate_and_a_dangerous_reading_make_it_evade_until_clear()
    {
        var (bridge, ledger, nerve) = StartNerve();

        nerve.Tell(GateOpened("proximity"), TestActor);
        nerve.Tell(Distance(20), TestActor);
        Assert.That(MotorCommand(bridge), Is.EqualTo("evade"));
        var wave = bridge.ExpectMsg<Publish<WaveBody>>();
        nerve.Tell(Distance(40), TestActor);
        bridge.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        nerve.Tell(Distance(55), TestActor);

        Assert.That(MotorCommand(bridge), Is.EqualTo("resume"));
        Assert.That(wave.Subject.Value, Is.EqualTo("dev.nervous.nerves.collision.wave"));
        Assert.That(wave.Envelope.Header.Source.Tier, Is.EqualTo(2));
        var spent = Enumerable.Range(0, 4).Select(_ => ledger.ExpectMsg<LifeforceLedgerMessages.Spend>().Amount).ToList();
        Assert.That(spent, Is.EqualTo(new[] { 0.1, 0.2, 0.3, 0.1 }), "detect, evaluate, evade, resume");
    }

    [Test]
    public void A_reading_that_is_close_but_not_dangerous_is_a_false_alarm()
    {
        var (bridge, _, nerve) = StartNerve();

        nerve.Tell(GateOpened("proximity"), TestActor);
        nerve.Tell(Distance(45), TestActor);
        nerve.Tell(Distance(20), TestActor);

        bridge.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Test]
    public void As_a_nerve_it_ignores_readings_until_a_gate_escalates_and_ignores_other_gates()
    {
        var (bridge, _, nerve) = StartNerve();

        nerve.Tell(Distance(10), TestActor);
        nerve.Tell(GateOpened("vision"), TestActor);
        nerve.Tell(Distance(10), TestActor);

        bridge.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Test]
    public void After_enough_successes_it_becomes_a_reflex_that_evades_without_escalation_and_costs_less()
    {
        var (bridge, ledger, nerve) = StartNerve(reflexAfter: 2);
        for (var i = 0; i < 2; i++)
        {
            nerve.Tell(GateOpened("proximity"), TestActor);
            nerve.Tell(Distance(20), TestActor);
            nerve.Tell(Distance(60), TestActor);
            Assert.That(MotorCommand(bridge), Is.EqualTo("evade"));
            bridge.ExpectMsg<Publish<WaveBody>>();
            Assert.That(MotorCommand(bridge), Is.EqualTo("resume"));
        }

        ledger.ReceiveN(8);

        nerve.Tell(Distance(15), TestActor);

        Assert.That(MotorCommand(bridge), Is.EqualTo("evade"));
        var reflexWave = bridge.ExpectMsg<Publish<WaveBody>>();
        Assert.That(reflexWave.Envelope.Header.Source.Tier, Is.Zero);
        Assert.That(reflexWave.Envelope.Header.Source.EntityType, Is.EqualTo("reflex"));
        Assert.That(ledger.ExpectMsg<LifeforceLedgerMessages.Spend>().Amount, Is.EqualTo(0.3), "only the evasion is paid; no detect or evaluate");
    }

    [Test]
    public void A_reading_whose_content_is_not_an_object_is_ignored_without_a_restart()
    {
        var (bridge, _, nerve) = StartNerve();
        var numeric = new Inbound<WaveBody>("dev.nervous.cells.sensor.wave", Envelopes.Of(new MessageSource("sensor", "cell", 1),
            new WaveBody("proximity", 0.5, JsonSerializer.SerializeToElement(42), 0.4)), null);

        nerve.Tell(GateOpened("proximity"), TestActor);
        nerve.Tell(numeric, TestActor);
        nerve.Tell(Distance(20), TestActor);

        // A restart would subscribe again; a crash would have lost the open gate and never evaded.
        Assert.That(MotorCommand(bridge), Is.EqualTo("evade"));
        bridge.FishForMessage(m => m is Publish<WaveBody>);
        bridge.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }
}
