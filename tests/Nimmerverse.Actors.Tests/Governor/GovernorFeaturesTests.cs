using Nimmerverse.Actors.Governor;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Governor;

/// <summary>The governor sees the cortex: what an NPC's cortex calls made it wait is one of its features, epoch by epoch.</summary>
[Category(TestTier.Unit)]
public sealed class GovernorFeaturesTests
{
    private const int CortexQueue = 11;
    private const int CortexLatency = 12;
    private const int CortexDepth = 16;
    private static readonly DateTimeOffset Start = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    private static NpcStateBody State(int npcId, double lifeforce = 10) => new(npcId, 1, 5, 5, 0, 0, 1, 0.5, 0.1, 0.1, lifeforce, 100);

    [Test]
    public void An_NPC_that_waited_for_the_cortex_shows_it_for_one_epoch_and_one_that_did_not_shows_none()
    {
        var observations = new NpcObservations(10, "theia");
        observations.Accept(State(1), Start);
        observations.Accept(State(2), Start);
        observations.CortexCall(1, 3000, 500, 20.5);
        observations.CortexCall(1, 1000, 300, 20.5);
        observations.CortexCall(2, double.NaN, 100, 1); // never counted
        observations.CortexCall(7, 500, 100, 1); // an NPC not seen: nothing to add it to

        var present = observations.Present(Start, TimeSpan.FromSeconds(5));
        var epoch = GovernorFeatures.Build(present, new Dictionary<int, NpcAllocation>(), 150, Start, GovernorObjective.DefaultLifeforceWeight, cortexQueueDepth: 8);
        Assert.Multiple(() =>
        {
            Assert.That(epoch.Features[0][CortexQueue], Is.EqualTo((float)Math.Tanh(2000 / GovernorFeatures.CortexWaitScaleMs)).Within(1e-6), "the mean queue wait of its two calls");
            Assert.That(epoch.Features[0][CortexLatency], Is.EqualTo((float)Math.Tanh(400 / GovernorFeatures.CortexWaitScaleMs)).Within(1e-6), "the mean call");
            Assert.That(epoch.Features[1][CortexQueue], Is.Zero);
            Assert.That(epoch.Features.Select(f => f[CortexDepth]), Is.All.EqualTo((float)Math.Tanh(8 / GovernorFeatures.CortexQueueScale)), "the queue's depth, the same for all");
            Assert.That(epoch.Features.Select(f => f.Length), Is.All.EqualTo(GovernorFeatures.Count));
        });

        var next = GovernorFeatures.Build(observations.Present(Start.AddSeconds(1), TimeSpan.FromSeconds(5)), new Dictionary<int, NpcAllocation>(), 150, Start.AddSeconds(1), GovernorObjective.DefaultLifeforceWeight);
        Assert.That(next.Features[0][CortexQueue], Is.Zero, "counted once, for the epoch it happened in");
    }

    [Test]
    public void An_npcs_role_is_one_of_three_features_and_an_unknown_one_none()
    {
        var observations = new NpcObservations(10, "theia");
        observations.Accept(State(1) with { Role = "small" }, Start);
        observations.Accept(State(2) with { Role = "large" }, Start);
        observations.Accept(State(3), Start); // a brain older than the field
        observations.Accept(State(4) with { Role = "colossal" }, Start);

        var epoch = GovernorFeatures.Build(observations.Present(Start, TimeSpan.FromSeconds(5)), new Dictionary<int, NpcAllocation>(), 150, Start, GovernorObjective.DefaultLifeforceWeight);

        Assert.That(epoch.Features.Select(f => f[GovernorFeatures.RoleAt..GovernorFeatures.QuizAt]), Is.EqualTo(new[]
        {
            new[] { 1f, 0, 0 }, [0, 0, 1], [0, 0, 0], [0, 0, 0],
        }));
    }

    [Test]
    public void An_npcs_success_rate_and_its_brain_s_epsilon_are_where_the_constants_say()
    {
        var observations = new NpcObservations(10, "theia");
        observations.Accept(State(1) with { SuccessRate = 0.25, Epsilon = 0.75 }, Start);
        observations.Accept(State(2) with { SuccessRate = 0.9, Epsilon = 0.05 }, Start);

        var epoch = GovernorFeatures.Build(observations.Present(Start, TimeSpan.FromSeconds(5)), new Dictionary<int, NpcAllocation>(), 150, Start, GovernorObjective.DefaultLifeforceWeight);

        Assert.That(epoch.Features.Select(f => (f[GovernorFeatures.SuccessAt], f[GovernorFeatures.EpsilonAt])), Is.EqualTo(new[] { (0.25f, 0.75f), (0.9f, 0.05f) }));
    }

    [Test]
    public void An_npcs_latest_quiz_round_and_the_share_of_the_village_past_its_own_are_features()
    {
        var observations = new NpcObservations(10, "theia");
        observations.Accept(State(1) with { QuizPassed = true }, Start);
        observations.Accept(State(2) with { QuizPassed = false }, Start);
        observations.Accept(State(3), Start); // no round yet at this level, or a brain older than the field
        observations.Accept(State(4) with { QuizPassed = true }, Start);

        var epoch = GovernorFeatures.Build(observations.Present(Start, TimeSpan.FromSeconds(5)), new Dictionary<int, NpcAllocation>(), 150, Start, GovernorObjective.DefaultLifeforceWeight);

        Assert.That(epoch.Features.Select(f => f[GovernorFeatures.QuizAt..]), Is.EqualTo(new[]
        {
            new[] { 1f, 0.5f }, [-1, 0.5f], [0, 0.5f], [1, 0.5f],
        }));
    }
}
