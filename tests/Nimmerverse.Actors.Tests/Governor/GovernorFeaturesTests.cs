using Nimmerverse.Actors.Governor;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Governor;

/// <summary>The governor sees the cortex: what an NPC's cortex calls made it wait is one of its features, epoch by epoch.</summary>
[Category(TestTier.Unit)]
public sealed class GovernorFeaturesTests
{
    private const int CortexWait = 11;
    private static readonly DateTimeOffset Start = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    private static NpcStateBody State(int npcId, double lifeforce = 10) => new(npcId, 1, 5, 5, 0, 0, 1, 0.5, 0.1, 0.1, lifeforce, 100);

    [Test]
    public void An_NPC_that_waited_for_the_cortex_shows_it_for_one_epoch_and_one_that_did_not_shows_none()
    {
        var observations = new NpcObservations(10, "theia");
        observations.Accept(State(1), Start);
        observations.Accept(State(2), Start);
        observations.CortexCall(1, 3000, 20.5);
        observations.CortexCall(1, 1000, 20.5);
        observations.CortexCall(2, double.NaN, 1); // never counted
        observations.CortexCall(7, 500, 1); // an NPC not seen: nothing to add it to

        var present = observations.Present(Start, TimeSpan.FromSeconds(5));
        var epoch = GovernorFeatures.Build(present, new Dictionary<int, NpcAllocation>(), 150, Start);
        Assert.Multiple(() =>
        {
            Assert.That(epoch.Features[0][CortexWait], Is.EqualTo((float)Math.Tanh(2000 / GovernorFeatures.CortexWaitScaleMs)).Within(1e-6), "the mean wait of its two calls");
            Assert.That(epoch.Features[1][CortexWait], Is.Zero);
        });

        var next = GovernorFeatures.Build(observations.Present(Start.AddSeconds(1), TimeSpan.FromSeconds(5)), new Dictionary<int, NpcAllocation>(), 150, Start.AddSeconds(1));
        Assert.That(next.Features[0][CortexWait], Is.Zero, "counted once, for the epoch it happened in");
    }
}
