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

    private static WaveDigests Wave(string domain, double confidence) => new([new WaveDigest(Guid.NewGuid(), domain, confidence, Tiers.Cells)]);

    [Test]
    public void It_listens_to_every_wave_and_publishes_a_gate_opening_durably()
    {
        var bridge = CreateTestProbe();
        var thalamus = Sys.ActorOf(ThalamusActor.Props(bridge.Ref, Dev, GateSettings.Default with { StepInterval = TimeSpan.FromHours(1) }, "theia"));
        Assert.That(bridge.ExpectMsg<SubscribeWaveDigests>().Pattern.Value, Is.EqualTo("dev.nervous.*.*.wave"));
        Assert.That(bridge.ExpectMsg<SubscribeWaveDigests>().Pattern.Value, Is.EqualTo("dev.organs.*.wave"), "organs feed the gates like cells");

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
        bridge.ExpectMsg<SubscribeWaveDigests>();
        bridge.ExpectMsg<SubscribeWaveDigests>();
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

    [Test]
    public void A_batch_of_waves_counts_wave_by_wave_in_its_order()
    {
        var bridge = CreateTestProbe();
        var thalamus = Sys.ActorOf(ThalamusActor.Props(bridge.Ref, Dev, GateSettings.Default with { StepInterval = TimeSpan.FromHours(1) }, "theia"));
        bridge.ExpectMsg<SubscribeWaveDigests>();
        bridge.ExpectMsg<SubscribeWaveDigests>();
        var ids = Enumerable.Range(0, 3).Select(_ => Guid.NewGuid()).ToArray();

        // One batch: two doubtful waves on "audio", then three confident ones on "vision" from tier 2.
        thalamus.Tell(new WaveDigests([
            new WaveDigest(Guid.NewGuid(), "audio", 0.2, Tiers.Cells), new WaveDigest(Guid.NewGuid(), "audio", 0.3, Tiers.Cells),
            .. ids.Select(id => new WaveDigest(id, "vision", 1, Tiers.Nerves))]), TestActor);

        var opened = bridge.ExpectMsg<PublishDurable<GateTransitionBody>>().Envelope.Body;
        Assert.That(opened.Domain, Is.EqualTo("vision"));
        Assert.That(opened.TriggerWaves, Is.EqualTo(ids), "the waves that opened it, in the order they came");
        Assert.That(opened.RoutedToTier, Is.EqualTo(Tiers.Boundary), "one tier above the waves' own");
        thalamus.Tell(GetGates.Instance, TestActor);
        var gates = ExpectMsg<GateStates>().Gates;
        Assert.That(gates["audio"].Value, Is.LessThan(0), "the doubtful waves counted against their own gate");
    }
}
