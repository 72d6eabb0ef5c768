using Nimmerverse.Actors.Health;
using Nimmerverse.Testing.TestKit;
using static Nimmerverse.Actors.Health.HealthProbeMessages;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Health;

[Category(TestTier.Unit)]
public sealed class HealthProbeActorSpec : AkkaSpec
{
    [Test]
    public void A_ping_is_answered_with_its_own_sequence_number()
    {
        var probe = Sys.ActorOf(HealthProbeActor.Props());

        probe.Tell(new Ping(41), TestActor);
        probe.Tell(new Ping(42), TestActor);

        ExpectMsg(new Pong(41));
        ExpectMsg(new Pong(42));
    }

    [Test]
    public void Each_asker_gets_its_own_answer()
    {
        var probe = Sys.ActorOf(HealthProbeActor.Props());
        var first = CreateTestProbe();
        var second = CreateTestProbe();

        probe.Tell(new Ping(1), first.Ref);
        probe.Tell(new Ping(2), second.Ref);

        first.ExpectMsg(new Pong(1));
        second.ExpectMsg(new Pong(2));
        first.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }
}

/// <summary>The test-only fault switch: after the delay the probe blocks its thread and answers nothing more.</summary>
[Category(TestTier.Unit)]
public sealed class WedgedHealthProbeActorSpec : AkkaSpec
{
    protected override bool VerifySystemShutdown => false;

    [Test]
    public void A_wedged_probe_answers_before_the_wedge_and_never_after()
    {
        var probe = Sys.ActorOf(HealthProbeActor.Props(wedgeAfter: TimeSpan.FromMilliseconds(300)));

        probe.Tell(new Ping(1), TestActor);
        ExpectMsg(new Pong(1));

        Thread.Sleep(TimeSpan.FromMilliseconds(500));
        probe.Tell(new Ping(2), TestActor);
        ExpectNoMsg(TimeSpan.FromSeconds(1));
    }
}
