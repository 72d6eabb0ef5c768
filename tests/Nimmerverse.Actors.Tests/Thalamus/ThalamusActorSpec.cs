using System.Text.Json;
using Nimmerverse.Actors.Thalamus;
using Nimmerverse.Protocol;
using Nimmerverse.Testing.TestKit;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;
using static Nimmerverse.Actors.Thalamus.ThalamusMessages;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Thalamus;

[Category(TestTier.Unit)]
public sealed class ThalamusActorSpec : AkkaSpec
{
    private static readonly Subjects Dev = new("dev");

    private static Inbound<WaveBody> Wave(string domain, double confidence) =>
        new($"dev.nervous.cells.{domain}.wave",
            Envelopes.Of(new MessageSource("cell", "cell", 1), new WaveBody(domain, confidence, JsonDocument.Parse("{}").RootElement, 0.1)),
            null);

    [Test]
    public void It_listens_to_every_wave_and_publishes_a_gate_opening_durably()
    {
        var bridge = CreateTestProbe();
        var thalamus = Sys.ActorOf(ThalamusActor.Props(bridge.Ref, Dev, GateSettings.Default with { StepInterval = TimeSpan.FromHours(1) }, "theia"));
        Assert.That(bridge.ExpectMsg<Subscribe<WaveBody>>().Pattern.Value, Is.EqualTo("dev.nervous.*.*.wave"));
        Assert.That(bridge.ExpectMsg<Subscribe<WaveBody>>().Pattern.Value, Is.EqualTo("dev.organs.*.wave"), "organs feed the gates like cells");

        for (var i = 0; i < 3; i++)
        {
            thalamus.Tell(Wave("vision", 1), TestActor);
        }

        var published = bridge.ExpectMsg<PublishDurable<GateTransitionBody>>();
        Assert.That(published.Subject.Value, Is.EqualTo("dev.thalamus.gate.open"));
        Assert.That(published.Envelope.Body.ToState, Is.EqualTo(GateState.Open));
        Assert.That(published.Envelope.Header.Source.EntityType, Is.EqualTo("thalamus"));
        thalamus.Tell(GetGates.Instance, TestActor);
        Assert.That(ExpectMsg<GateStates>().Gates["vision"].State, Is.EqualTo(GateState.Open));
    }

    [Test]
    public void Decay_steps_run_on_a_timer_and_the_closing_goes_to_the_close_subject()
    {
        var bridge = CreateTestProbe();
        var thalamus = Sys.ActorOf(ThalamusActor.Props(bridge.Ref, Dev, GateSettings.Default with { StepInterval = TimeSpan.FromMilliseconds(20) }, "theia"));
        bridge.ExpectMsg<Subscribe<WaveBody>>();
        bridge.ExpectMsg<Subscribe<WaveBody>>();
        for (var i = 0; i < 3; i++)
        {
            thalamus.Tell(Wave("speech", 1), TestActor);
        }

        Assert.That(bridge.ExpectMsg<PublishDurable<GateTransitionBody>>().Subject.Value, Is.EqualTo("dev.thalamus.gate.open"));
        var closing = bridge.ExpectMsg<PublishDurable<GateTransitionBody>>(TimeSpan.FromSeconds(5));
        Assert.That(closing.Subject.Value, Is.EqualTo("dev.thalamus.gate.close"));
        Assert.That(closing.Envelope.Body.ToState, Is.EqualTo(GateState.Stable));
    }

    [Test]
    public void Domains_beyond_the_gate_limit_are_refused_and_counted()
    {
        var bridge = CreateTestProbe();
        var thalamus = Sys.ActorOf(ThalamusActor.Props(bridge.Ref, Dev, GateSettings.Default with { MaxGates = 2, StepInterval = TimeSpan.FromHours(1) }, "theia"));

        foreach (var domain in new[] { "a", "b", "c", "d" })
        {
            thalamus.Tell(Wave(domain, 0.5), TestActor);
        }

        thalamus.Tell(GetGates.Instance, TestActor);
        var states = ExpectMsg<GateStates>();
        Assert.That(states.Gates.Keys, Is.EquivalentTo(new[] { "a", "b" }));
        Assert.That(states.RefusedNewDomains, Is.EqualTo(2));
    }
}
