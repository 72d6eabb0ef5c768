using Akka.Actor;
using Nimmerverse.Actors.Npc.Placement;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Npc;

/// <summary>Whether a member sees a majority, judged as the keep-majority resolver judges: ties go to the side with the lowest address.</summary>
[Category(TestTier.Unit)]
public sealed class ClusterStandingTests
{
    private static Address Member(int port) => new("akka.tcp", "nimmerverse", "127.0.0.1", port);

    private static readonly Address[] Three = [Member(4053), Member(4054), Member(4055)];
    private static readonly Address[] Four = [Member(4053), Member(4054), Member(4055), Member(4056)];

    [Test]
    public void Two_of_three_are_a_majority_and_one_of_three_is_not()
    {
        Assert.That(ClusterStandingActor.SeesMajority(Three, [Member(4055)]), Is.True);
        Assert.That(ClusterStandingActor.SeesMajority(Three, [Member(4053), Member(4054)]), Is.False);
        Assert.That(ClusterStandingActor.SeesMajority(Three, []), Is.True);
    }

    [Test]
    public void An_even_split_goes_to_the_side_that_holds_the_lowest_address()
    {
        Assert.That(ClusterStandingActor.SeesMajority(Four, [Member(4055), Member(4056)]), Is.True, "this side holds 4053");
        Assert.That(ClusterStandingActor.SeesMajority(Four, [Member(4053), Member(4054)]), Is.False);
    }
}
