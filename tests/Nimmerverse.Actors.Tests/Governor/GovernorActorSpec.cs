using System.Collections.Concurrent;
using Akka.Actor;
using Akka.TestKit;
using Microsoft.Extensions.Time.Testing;
using Nimmerverse.Actors.Governor;
using Nimmerverse.Actors.Npc;
using Nimmerverse.Protocol;
using Nimmerverse.Testing.TestKit;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Governor;

/// <summary>The governor between a bridge probe and an NPC host probe: what it takes in, what it decides, what it actuates and records.</summary>
[Category(TestTier.Unit)]
public sealed class GovernorActorSpec : AkkaSpec
{
    private static readonly Subjects Dev = new("dev");
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
    private TestProbe _bridge = null!;
    private TestProbe _npcHost = null!;
    private Trails _trails = null!;

    private sealed class Trails : IDecisionTrails
    {
        public ConcurrentQueue<DecisionTrail> Recorded { get; } = new();

        public void Record(DecisionTrail trail) => Recorded.Enqueue(trail);
    }

    /// <summary>A policy that wants what the test says, to see the governor's own rules at work.</summary>
    private sealed class WantingPolicy(Func<int, NpcAllocation> want) : IGovernorPolicy
    {
        public List<EpochYield> Outcomes { get; } = [];

        public string Name => "wanting";

        public double? Price { get; set; }

        public PolicyDecision Decide(IReadOnlyList<int> npcIds, float[][] features, IReadOnlyList<double> fairSharePercent) => new([.. npcIds.Select(want)]);

        public List<PolicyDecision> Learnt { get; } = [];

        public List<int> Forgotten { get; } = [];

        public void Learn(PolicyDecision decision, EpochYield outcome)
        {
            Learnt.Add(decision);
            Outcomes.Add(outcome);
        }

        public void Forget(int npcId) => Forgotten.Add(npcId);
    }

    [SetUp]
    public void Probes()
    {
        _bridge = CreateTestProbe();
        _npcHost = CreateTestProbe();
        _trails = new Trails();
    }

    private IActorRef Governor(IGovernorPolicy policy, double budget = 100, double lifeforceWeight = GovernorObjective.DefaultLifeforceWeight) =>
        Governor(() => policy, budget, lifeforceWeight: lifeforceWeight);

    private IActorRef Governor(Func<IGovernorPolicy> newPolicy, double budget = 100, Func<string, ICanTell?>? npcHostOf = null, double lifeforceWeight = GovernorObjective.DefaultLifeforceWeight) =>
        Sys.ActorOf(GovernorActor.Props(
            AllocationPlannerTests.Settings(budget) with { Epoch = TimeSpan.FromHours(1), LifeforceWeight = lifeforceWeight }, // epochs run when the test says
            AllocationPlannerTests.Village, _bridge.Ref, Dev, newPolicy, _trails, npcHostOf ?? (host => host == "theia" ? _npcHost.Ref : null), "theia", _clock));

    private static Inbound<NpcStateBody> State(int npcId, double cpuMs = 0, double rewardRate = 0.1, double tickRate = 5, double measured = 5, int level = 0, double success = 0.5, double lifeforce = 50) =>
        new($"dev.npc.{npcId}.state", Envelopes.Of(new MessageSource($"npc-{npcId}", "npc", 1),
            new NpcStateBody(npcId, 10, tickRate, measured, 1, 0, 3, success, rewardRate, 0.1, lifeforce, cpuMs, Level: level)), null);

    private GovernorProtocol.Status StatusOf(IActorRef governor)
    {
        governor.Tell(GovernorProtocol.GetStatus.Instance, TestActor);
        return ExpectMsg<GovernorProtocol.Status>();
    }

    [Test]
    public void The_equal_share_baseline_splits_the_hosts_budget_and_actuates_every_npc_once()
    {
        var governor = Governor(new EqualSharePolicy(5));
        for (var id = 0; id < 4; id++)
        {
            governor.Tell(State(id), TestActor);
        }

        governor.Tell(GovernorProtocol.RunEpoch.Instance, TestActor);

        var allocation = (Publish<AllocationBody>)_bridge.FishForMessage(m => m is Publish<AllocationBody>);
        Assert.That(allocation.Subject.Value, Is.EqualTo("dev.thalamus.governor.allocate"));
        Assert.That(allocation.Envelope.Body.Problem(), Is.Null);
        Assert.That(allocation.Envelope.Body.Npcs, Is.EqualTo(Enumerable.Range(0, 4).Select(id => new NpcAllocation(id, 5, 25, false, 5))));
        var limits = _npcHost.ReceiveN(4).Cast<NpcHostMessages.SetLimits>().ToList();
        Assert.That(limits.Select(l => (l.NpcId, l.Limits.CpuQuotaPercent)), Is.EquivalentTo(Enumerable.Range(0, 4).Select(id => (id, 25.0))));
        Assert.That(_trails.Recorded.Select(t => (t.Epoch, t.NpcId, t.Policy, t.Output.CpuQuotaPercent)), Is.EqualTo(Enumerable.Range(0, 4).Select(id => (1L, id, "equal-share", 25.0))));
        Assert.That(_trails.Recorded.Select(t => t.Inputs.Length), Is.All.EqualTo(GovernorFeatures.Count));
        Assert.That(_trails.Recorded.Select(t => t.Price), Is.All.Null, "a fixed policy prices nothing");

        // The same decision again changes nothing: no new quota, no new command.
        governor.Tell(State(0), TestActor);
        governor.Tell(GovernorProtocol.RunEpoch.Instance, TestActor);
        _npcHost.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    private static Inbound<CortexTrailBody> CortexTrail(string source, string requester, string trailEvent, double queueMs, double latencyMs, int queueDepth) =>
        new("dev.cortex.nyx.trail", Envelopes.Of(new MessageSource($"{source}@theia", source, 4),
            new CortexTrailBody(Guid.NewGuid(), requester, trailEvent, 5, QueueMs: queueMs, LatencyMs: latencyMs, QueueDepth: queueDepth)), null);

    [Test]
    public void Each_trail_carries_the_price_its_decision_was_made_at_and_a_jump_is_logged_at_most_once_a_minute()
    {
        var policy = new WantingPolicy(id => new NpcAllocation(id, 5, 25, false, 5)) { Price = 0.5 };
        var governor = Governor(policy);
        governor.Tell(State(0), TestActor);
        governor.Tell(State(1), TestActor);
        EventFilter.Info(contains: "Governor price at epoch 1: 0.5 progress per CPU-second, was none").ExpectOne(() =>
        {
            governor.Tell(GovernorProtocol.RunEpoch.Instance, TestActor);
            StatusOf(governor);
        });

        policy.Price = 0.9;
        EventFilter.Info(contains: "Governor price").Expect(0, () =>
        {
            governor.Tell(GovernorProtocol.RunEpoch.Instance, TestActor);
            StatusOf(governor);
        });

        policy.Price = 2;
        EventFilter.Info(contains: "Governor price").Expect(0, () =>
        {
            governor.Tell(GovernorProtocol.RunEpoch.Instance, TestActor);
            StatusOf(governor);
        });

        _clock.Advance(TimeSpan.FromMinutes(1));
        governor.Tell(State(0), TestActor); // heard from within the minute, as a live NPC is
        governor.Tell(State(1), TestActor);
        EventFilter.Info(contains: "Governor price at epoch 4: 2 progress per CPU-second, was 0.5").ExpectOne(() =>
        {
            governor.Tell(GovernorProtocol.RunEpoch.Instance, TestActor);
            StatusOf(governor);
        });

        Assert.That(_trails.Recorded.Select(t => (t.Epoch, t.Price)), Is.EquivalentTo(new (long, double?)[] { (1, 0.5), (1, 0.5), (2, 0.9), (2, 0.9), (3, 2), (3, 2), (4, 2), (4, 2) }),
            "every NPC's trail has its epoch's price; less than a doubling since the last one logged, or within a minute of it, is not logged");
    }

    [Test]
    public void The_gateways_trails_are_what_an_npc_waited_for_the_cortex_and_how_deep_its_queue_is()
    {
        var governor = Governor(new EqualSharePolicy(5));
        governor.Tell(State(0), TestActor);
        governor.Tell(State(1), TestActor);
        governor.Tell(CortexTrail("cortex", "npc-0", CortexTrailEvents.Answered, 2000, 400, 3), TestActor);
        governor.Tell(CortexTrail("cortex", "npc-1", CortexTrailEvents.Refused, 0, 0, 5), TestActor); // a refusal never waited
        governor.Tell(CortexTrail("boundary", "boundary", CortexTrailEvents.Answered, 0, 900, 40), TestActor); // not the gateway's queue

        governor.Tell(GovernorProtocol.RunEpoch.Instance, TestActor);
        _bridge.FishForMessage(m => m is Publish<AllocationBody>);
        var inputs = _trails.Recorded.ToDictionary(t => t.NpcId, t => t.Inputs);
        Assert.Multiple(() =>
        {
            Assert.That(inputs[0][11], Is.EqualTo((float)Math.Tanh(2000 / GovernorFeatures.CortexWaitScaleMs)).Within(1e-6));
            Assert.That(inputs[0][12], Is.EqualTo((float)Math.Tanh(400 / GovernorFeatures.CortexWaitScaleMs)).Within(1e-6));
            Assert.That(inputs[1][11], Is.Zero);
            Assert.That(inputs[1][16], Is.EqualTo((float)Math.Tanh(5 / GovernorFeatures.CortexQueueScale)).Within(1e-6), "the gateway's latest depth");
        });
    }

    [Test]
    public void A_policy_that_wants_everything_is_rate_limited_and_fitted_to_the_budget()
    {
        var governor = Governor(new WantingPolicy(id => new NpcAllocation(id, 20, 100, true, 10)), budget: 150);
        for (var id = 0; id < 3; id++)
        {
            governor.Tell(State(id), TestActor);
        }

        governor.Tell(GovernorProtocol.RunEpoch.Instance, TestActor);
        var first = StatusOf(governor).Allocations;
        governor.Tell(GovernorProtocol.RunEpoch.Instance, TestActor);
        var second = StatusOf(governor).Allocations;

        Assert.That(first.Values.Sum(a => a.CpuQuotaPercent), Is.LessThanOrEqualTo(150), "the host's budget holds");
        Assert.That(first.Values.Select(a => a.CpuQuotaPercent), Is.All.EqualTo(50));
        Assert.That(first.Values.Select(a => a.TickRateHz), Is.All.EqualTo(20), "the first decision has nothing to move from");
        Assert.That(second.Values.Select(a => a.CpuQuotaPercent), Is.All.EqualTo(50));
        var gates = _bridge.ReceiveWhile(TimeSpan.FromMilliseconds(500), m => m).OfType<PublishDurable<GateTransitionBody>>().ToList();
        Assert.That(gates.Select(g => (g.Subject.Value, g.Envelope.Body.GateId, g.Envelope.Body.ToState)), Is.EquivalentTo(
            Enumerable.Range(0, 3).Select(id => ("dev.thalamus.gate.open", $"governor.npc.{id}.llm", GateState.Open))), "each gate opened once, not again");
        Assert.That(gates.Select(g => g.Envelope.Body.Problem()), Is.All.Null);
    }

    [Test]
    public void Each_quota_goes_to_the_npc_host_of_the_host_its_npc_runs_on_and_a_host_without_one_is_counted()
    {
        var hyperion = CreateTestProbe();
        var governor = Governor(() => new EqualSharePolicy(5), npcHostOf: host => host switch
        {
            "theia" => _npcHost.Ref,
            "hyperion" => hyperion.Ref,
            _ => null, // a host that left the cluster
        });
        foreach (var (id, host) in new[] { (0, "theia"), (1, "hyperion"), (2, "hyperion"), (3, "rhea") })
        {
            governor.Tell(new Inbound<NpcLifecycleBody>($"dev.supervisor.{host}.npc", Envelopes.Of(new MessageSource($"supervisor@{host}", "supervisor", 1), new NpcLifecycleBody(id, "spawned", 100 + id)), null), TestActor);
            governor.Tell(State(id), TestActor);
        }

        governor.Tell(GovernorProtocol.RunEpoch.Instance, TestActor);

        // Each host's budget (100 %) is shared by its own NPCs.
        var theia = _npcHost.ExpectMsg<NpcHostMessages.SetLimits>();
        Assert.That((theia.NpcId, theia.Limits.CpuQuotaPercent), Is.EqualTo((0, 100.0)));
        Assert.That(hyperion.ReceiveN(2).Cast<NpcHostMessages.SetLimits>().Select(l => (l.NpcId, l.Limits.CpuQuotaPercent)), Is.EquivalentTo(new[] { (1, 50.0), (2, 50.0) }));
        Assert.That(StatusOf(governor).LimitFailures, Is.EqualTo(1), "NPC 3's quota had nowhere to go");
    }

    [Test]
    public void Impossible_states_and_strangers_are_counted_and_never_decided_about()
    {
        var governor = Governor(new EqualSharePolicy(5));
        governor.Tell(State(1), TestActor);
        governor.Tell(State(2, cpuMs: double.NaN), TestActor);
        governor.Tell(State(3, tickRate: -5), TestActor);
        governor.Tell(State(99), TestActor); // the village has 25 citizens

        governor.Tell(GovernorProtocol.RunEpoch.Instance, TestActor);

        var status = StatusOf(governor);
        Assert.That(status.Allocations.Keys, Is.EqualTo(new[] { 1 }));
        Assert.That(status.Rejected, Is.EquivalentTo(new Dictionary<string, long> { ["not a finite number"] = 1, ["negative or zero rate"] = 1, ["unknown npc_id"] = 1 }));
        Assert.That(_trails.Recorded.Select(t => t.NpcId), Is.EqualTo(new[] { 1 }));
    }

    [Test]
    public void An_npc_silent_for_the_silence_timeout_is_absent()
    {
        var governor = Governor(new EqualSharePolicy(5));
        governor.Tell(State(1), TestActor);
        governor.Tell(State(2), TestActor);
        governor.Tell(GovernorProtocol.RunEpoch.Instance, TestActor);
        Assert.That(StatusOf(governor).Allocations.Keys, Is.EquivalentTo(new[] { 1, 2 }));

        _clock.Advance(TimeSpan.FromSeconds(4));
        governor.Tell(State(2), TestActor);
        StatusOf(governor); // taken before the clock moves on
        _clock.Advance(TimeSpan.FromSeconds(2)); // NPC 1 silent for 6 s (timeout 5 s), NPC 2 for 2 s
        governor.Tell(GovernorProtocol.RunEpoch.Instance, TestActor);

        var status = StatusOf(governor);
        Assert.That(status.Allocations.Keys, Is.EqualTo(new[] { 2 }));
        Assert.That(status.Allocations[2].CpuQuotaPercent, Is.EqualTo(60), "towards the whole budget, a step of 10 from its half");
    }

    [Test]
    public void A_governor_restarted_after_a_failure_decides_again_with_a_policy_of_its_own()
    {
        var policies = new List<WantingPolicy>();
        var governor = Governor(() =>
        {
            // The first incarnation's policy fails at its first decision.
            var first = policies.Count == 0;
            var policy = new WantingPolicy(id => first ? throw new InvalidOperationException("a broken policy") : new NpcAllocation(id, 5, 25, false, 5));
            policies.Add(policy);
            return policy;
        });
        governor.Tell(State(1), TestActor);

        EventFilter.Exception<InvalidOperationException>().ExpectOne(() => governor.Tell(GovernorProtocol.RunEpoch.Instance, TestActor));
        governor.Tell(State(1), TestActor); // what it knew died with the failed incarnation
        governor.Tell(GovernorProtocol.RunEpoch.Instance, TestActor);

        Assert.That(StatusOf(governor).Allocations.Keys, Is.EqualTo(new[] { 1 }));
        Assert.That(policies, Has.Count.EqualTo(2), "each incarnation made its own policy");
    }

    /// <summary>
    /// NPC 1 over two epochs a second apart: 1 s of CPU so far, then 0.25 CPU-s more, its success
    /// rate from 0.5 to <paramref name="successThen"/>, its lifeforce from 50 to 60, at
    /// <paramref name="levelThen"/>, under <c>Governor:LifeforceWeight</c> <paramref name="lifeforceWeight"/>.
    /// Returns the policy that learnt.
    /// </summary>
    private WantingPolicy TwoEpochsOfNpc1(int levelThen = 0, double successThen = 0.6, double lifeforceWeight = GovernorObjective.DefaultLifeforceWeight)
    {
        var policy = new WantingPolicy(id => new NpcAllocation(id, 5, 25, false, 5));
        var governor = Governor(policy, lifeforceWeight: lifeforceWeight);
        governor.Tell(State(1, cpuMs: 1000), TestActor);
        governor.Tell(GovernorProtocol.RunEpoch.Instance, TestActor);
        StatusOf(governor); // the epoch has run before the clock moves

        _clock.Advance(TimeSpan.FromSeconds(1));
        governor.Tell(State(1, cpuMs: 1250, level: levelThen, success: successThen, lifeforce: 60), TestActor);
        governor.Tell(GovernorProtocol.RunEpoch.Instance, TestActor);
        StatusOf(governor);
        return policy;
    }

    [Test]
    public void What_an_epoch_yields_is_the_skill_gained_for_the_cpu_spent()
    {
        var policy = TwoEpochsOfNpc1();

        // The first epoch had no decision before it to learn about; the second teaches the first's.
        var outcome = policy.Outcomes.Single();
        // Success 0.5 -> 0.6 over its 3 errands (shrunk toward a random walk's), lifeforce 50 -> 60.
        var progress = (0.1 * 3 / (3 + GovernorObjective.PriorErrands)) + (10 * GovernorObjective.DefaultLifeforceWeight);
        Assert.That(outcome.Npcs[1], Is.EqualTo(new NpcYield(progress, 0.25)).Using<NpcYield>((a, b) => Math.Abs(a.Progress - b.Progress) < 1e-9 && Math.Abs(a.Cost - b.Cost) < 1e-9), "the NPC's own");
        Assert.That(outcome.Ratio, Is.EqualTo(progress / 0.25).Within(1e-9), "and the village's, the only NPC");
        Assert.That(policy.Learnt.Single().Allocations, Is.EqualTo(new[] { new NpcAllocation(1, 5, 25, false, 5) }), "the lesson is about the first epoch's decision");
    }

    [Test]
    public void A_level_gained_counts_as_much_as_going_from_never_to_always_reaching_the_goal()
    {
        var policy = TwoEpochsOfNpc1(levelThen: 1, successThen: 0.1); // the village levelled up; the new level is harder

        Assert.That(policy.Outcomes.Single().Npcs[1].Progress, Is.EqualTo(1 + ((0.1 - 0.5) * 3 / (3 + GovernorObjective.PriorErrands)) + (10 * GovernorObjective.DefaultLifeforceWeight)).Within(1e-9));
    }

    [Test]
    public void The_lifeforce_an_npc_gained_counts_as_much_as_the_configured_weight_says()
    {
        var skill = 0.1 * 3 / (3 + GovernorObjective.PriorErrands);

        Assert.Multiple(() =>
        {
            Assert.That(TwoEpochsOfNpc1(lifeforceWeight: 0).Outcomes.Single().Npcs[1].Progress, Is.EqualTo(skill).Within(1e-9), "at 0, learning alone");
            Assert.That(TwoEpochsOfNpc1(lifeforceWeight: 0.01).Outcomes.Single().Npcs[1].Progress, Is.EqualTo(skill + (10 * 0.01)).Within(1e-9), "10 LF gained at a hundredth of a level each");
        });
    }

    [Test]
    public void A_brain_started_afresh_is_not_charged_with_its_predecessors_counters()
    {
        var policy = new WantingPolicy(id => new NpcAllocation(id, 5, 25, false, 5));
        var governor = Governor(policy);
        governor.Tell(State(1, cpuMs: 9000, success: 0.9), TestActor);
        governor.Tell(GovernorProtocol.RunEpoch.Instance, TestActor);
        StatusOf(governor);

        // Its brain crashed; the new process starts from nothing: no CPU used, no errands behind it.
        governor.Tell(new Inbound<NpcLifecycleBody>("dev.supervisor.theia.npc", Envelopes.Of(
            new MessageSource("supervisor@theia", "supervisor", 1), new NpcLifecycleBody(1, "restarted", 4242, Restarts: 1)), null), TestActor);
        _clock.Advance(TimeSpan.FromSeconds(1));
        governor.Tell(State(1, cpuMs: 50, success: 0), TestActor);
        governor.Tell(GovernorProtocol.RunEpoch.Instance, TestActor);
        StatusOf(governor);

        Assert.That(policy.Forgotten, Is.EqualTo(new[] { 1 }), "the policy was told");
        Assert.That(policy.Outcomes.Single().Npcs, Is.Empty, "no epoch of the new process yet: a drop from 0.9 to 0 is not progress lost");
    }

    [Test]
    public void A_restarted_brain_gets_its_allocation_again_though_the_decision_did_not_change()
    {
        var governor = Governor(new EqualSharePolicy(5));
        governor.Tell(State(4), TestActor);
        governor.Tell(GovernorProtocol.RunEpoch.Instance, TestActor);
        Assert.That(_npcHost.ExpectMsg<NpcHostMessages.SetLimits>().Limits.CpuQuotaPercent, Is.EqualTo(100));
        governor.Tell(GovernorProtocol.RunEpoch.Instance, TestActor);
        _npcHost.ExpectNoMsg(TimeSpan.FromMilliseconds(200)); // the same decision: nothing to send

        // The brain crashed and its NPC host started a new one, on the configured quota and rate.
        governor.Tell(new Inbound<NpcLifecycleBody>("dev.supervisor.theia.npc", Envelopes.Of(
            new MessageSource("supervisor@theia", "supervisor", 1), new NpcLifecycleBody(4, "restarted", 4242, Restarts: 1)), null), TestActor);
        _bridge.ReceiveWhile(TimeSpan.FromMilliseconds(200), m => m); // what the first epochs sent
        governor.Tell(State(4), TestActor);
        governor.Tell(GovernorProtocol.RunEpoch.Instance, TestActor);

        var limits = _npcHost.ExpectMsg<NpcHostMessages.SetLimits>();
        Assert.That((limits.NpcId, limits.Limits.CpuQuotaPercent), Is.EqualTo((4, 100.0)), "the quota sent again");
        var command = (Publish<NpcCommandBody>)_bridge.FishForMessage(m => m is Publish<NpcCommandBody>);
        Assert.That((command.Subject.Value, command.Envelope.Body), Is.EqualTo(("dev.npc.4.command", new NpcCommandBody("set_tick_rate", 5))));
    }
}
