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

    [Test]
    public void A_newcomer_is_credited_neither_with_its_citizens_lifeforce_nor_with_the_brain_before_it()
    {
        var observations = new NpcObservations(10, "theia");
        var at = Start;
        EpochYield Epoch(NpcStateBody? state)
        {
            if (state is not null)
            {
                observations.Accept(state, at);
            }

            var epoch = GovernorFeatures.Build(observations.Present(at, TimeSpan.FromSeconds(5)), new Dictionary<int, NpcAllocation>(), 150, at, GovernorObjective.DefaultLifeforceWeight);
            at = at.AddSeconds(1);
            return epoch.Yield;
        }

        var old = State(1, lifeforce: 812) with { Tick = 5000, CpuMs = 90_000, InWorld = true };
        Epoch(old);
        Assert.That(Epoch(old with { Tick = 5020, CpuMs = 90_040, Lifeforce = 813 }).Npcs[1].Progress, Is.EqualTo(0.001).Within(1e-9), "the old brain: a goal");

        observations.Restarted(1); // a newcomer is spawned; an epoch ends before its first state
        Epoch(null);
        var first = Epoch(State(1, lifeforce: 0) with { Tick = 1, CpuMs = 300, InWorld = false });
        var sees = Epoch(State(1, lifeforce: 813) with { Tick = 20, CpuMs = 340, InWorld = true });
        var next = Epoch(State(1, lifeforce: 814) with { Tick = 40, CpuMs = 380, InWorld = true });

        Assert.Multiple(() =>
        {
            Assert.That(first.Npcs, Does.Not.ContainKey(1), "from the old brain's last state to the newcomer's first");
            Assert.That(sees.Npcs, Does.Not.ContainKey(1), "from before its first look at the world: 813 LF it did not earn");
            Assert.That(next.Npcs[1].Progress, Is.EqualTo(0.001).Within(1e-9), "from then on, what it gains");
        });
    }
}
