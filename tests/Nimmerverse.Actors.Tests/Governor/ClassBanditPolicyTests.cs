using Nimmerverse.Actors.Governor;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Governor;

/// <summary>The bandit per class of NPC: its classes, its arms' statistics, its holds, its checkpoints, and the noisy lesson the actor-critic fails.</summary>
[Category(TestTier.Unit)]
public sealed class ClassBanditPolicyTests
{
    private static readonly int[] Seeds = [1, 2, 3];

    [Test]
    public void An_npc_s_class_is_its_role_its_stage_and_its_quiz_standing()
    {
        float[] Row(int roleAt, float epsilon, float success, float quiz) => [.. Enumerable.Range(0, GovernorFeatures.Count).Select(f => f switch
        {
            GovernorFeatures.QuizAt => quiz,
            GovernorFeatures.EpsilonAt => epsilon,
            GovernorFeatures.SuccessAt => success,
            _ => roleAt >= 0 && f == GovernorFeatures.RoleAt + roleAt ? 1f : 0f,
        })];

        Assert.Multiple(() =>
        {
            Assert.That(NpcClass.Of(Row(1, 0.05f, 0.9f, 1)).ToString(), Is.EqualTo("medium, skilled, passed its round"));
            Assert.That(NpcClass.Of(Row(0, 0.05f, 0.3f, -1)).ToString(), Is.EqualTo("small, learning, failed its round"));
            Assert.That(NpcClass.Of(Row(2, 0.9f, 0.9f, 0)).ToString(), Is.EqualTo("large, exploring, no round yet"), "exploring whatever its success");
            Assert.That(NpcClass.Of(Row(-1, 0.05f, 0.5f, 1)).ToString(), Is.EqualTo("unknown role, skilled, passed its round"), "at the brain's floor, explored; at half success, skilled");
            Assert.That(NpcClass.Of(Row(0, 0.5f, 0.1f, -1)).ToString(), Is.EqualTo("small, exploring, failed its round"), "halfway to its floor, still exploring");
            var every = from role in Enumerable.Range(-1, 4)
                        from stage in new (float Epsilon, float Success)[] { (1f, 0f), (0.05f, 0.2f), (0.05f, 0.8f) }
                        from quiz in new[] { -1f, 0f, 1f }
                        select NpcClass.Of(Row(role, stage.Epsilon, stage.Success, quiz)).Index;
            Assert.That(every.Order(), Is.EqualTo(Enumerable.Range(0, NpcClass.Count)), "every class has its own index");
        });
    }

    [Test]
    public void Arms_are_judged_at_the_price_asked_for_not_the_one_they_were_paid_at()
    {
        var arms = new ArmPayoffs(2);
        arms.Book(0, progress: 0.10, cost: 0.20); // buys much, costs much
        arms.Book(1, progress: 0.02, cost: 0.01); // buys little, costs little

        Assert.Multiple(() =>
        {
            Assert.That(arms.Mean(0, price: 0.1), Is.EqualTo(0.08).Within(1e-12));
            Assert.That(arms.Mean(1, price: 0.1), Is.EqualTo(0.019).Within(1e-12));
            Assert.That(arms.Mean(0, price: 1), Is.LessThan(arms.Mean(1, price: 1)), "dear CPU turns the order round");
        });
    }

    [Test]
    public void Every_arm_is_tried_once_then_the_better_one_is_drawn_almost_always()
    {
        var random = new Random(5);
        var arms = new ArmPayoffs(3);
        var first = Enumerable.Range(0, 3).Select(_ =>
        {
            var arm = arms.Draw(random, price: 0);
            arms.Book(arm, arm == 2 ? 1.0 : 0.0, 0);
            return arm;
        }).ToList();
        for (var pull = 0; pull < 60; pull++)
        {
            var arm = arms.Draw(random, price: 0);
            arms.Book(arm, (arm == 2 ? 1.0 : 0.0) + (0.3 * random.NextGaussian()), 0);
        }

        var later = Enumerable.Range(0, 200).Select(_ => arms.Draw(random, price: 0)).ToList();
        Assert.That(first, Is.EquivalentTo(new[] { 0, 1, 2 }), "no arm judged before it was pulled");
        Assert.That(later.Count(a => a == 2), Is.GreaterThan(190), "a gap of three spreads and tens of pulls leave little doubt");
    }

    [Test]
    public void Forgetting_lets_old_payoffs_fade_and_their_statistics_survive_a_checkpoint()
    {
        var arms = new ArmPayoffs(2);
        arms.Book(0, progress: 1, cost: 0);
        arms.Fade(0.5);
        arms.Book(1, progress: 0, cost: 0);
        arms.Fade(0.5);
        arms.Book(1, progress: 0, cost: 0);
        var copy = new ArmPayoffs(2);
        copy.Load(arms.Save());

        Assert.Multiple(() =>
        {
            Assert.That(arms.Count(0), Is.EqualTo(0.25), "halved at each of the two fades after it");
            Assert.That(arms.Count(1), Is.EqualTo(1.5));
            Assert.That(arms.Expected(), Is.EqualTo((0.25 / 1.75, 0.0)), "what a pull is worth as they were drawn: weighed by count");
            Assert.That(new ArmPayoffs(2).Expected(), Is.Null);
            Assert.That(arms.Mean(0, 0), Is.EqualTo(1), "a faded arm keeps its mean; it is only less sure");
            Assert.That(Enumerable.Range(0, 2).Select(a => (copy.Count(a), copy.Mean(a, 0.3))), Is.EqualTo(Enumerable.Range(0, 2).Select(a => (arms.Count(a), arms.Mean(a, 0.3)))));
            Assert.That(() => copy.Load(new double[5]), Throws.ArgumentException);
        });
    }

    [Test]
    public void Each_npc_holds_its_arm_and_a_pull_is_booked_with_the_epochs_after_it_settled()
    {
        using var policy = new ClassBanditPolicy(seed: 1, holdEpochs: 4, settleEpochs: 1);
        var features = TwoKindVillage.Features([0]);
        var npcClass = NpcClass.Of(features[0]);
        var rates = new List<double>();
        for (var epoch = 0; epoch < 4; epoch++)
        {
            using var decision = policy.Decide([0], features, TwoKindVillage.Shares(1));
            rates.Add(decision.Allocations[0].TickRateHz);
            // The settling epoch yields a progress the pull must not be paid: 9 instead of 0.3.
            policy.Learn(decision, EpochYield.Sum(new Dictionary<int, NpcYield> { [0] = new(epoch == 0 ? 9 : 0.3, 0.1) }));
        }

        policy.Decide([0], features, TwoKindVillage.Shares(1)).Dispose(); // sees the class the hold led to, and books it
        var arm = ClassBanditPolicy.RateArmsHz.ToList().IndexOf(rates[0]);
        var (booked, paid) = (policy.RatesOf(npcClass)!.ExpectedAtEachRate()![arm], OnePullAt(arm, 0.3, 0.1));
        Assert.Multiple(() =>
        {
            Assert.That(rates.Distinct().Count(), Is.EqualTo(1), "one arm for the whole hold");
            Assert.That(policy.RatesOf(npcClass)!.Count(arm), Is.EqualTo(1), "booked once, after the hold ended");
            Assert.That(booked.Progress, Is.EqualTo(paid.Progress).Within(1e-12), "the mean of the three epochs after the first; its class had no worth yet to add");
            Assert.That(booked.Cost, Is.EqualTo(paid.Cost).Within(1e-12));
        });
    }

    [Test]
    public void A_settled_hold_ends_when_its_npc_s_quiz_standing_changes_and_is_paid_the_epochs_it_had()
    {
        using var policy = new ClassBanditPolicy(seed: 1, holdEpochs: 6, settleEpochs: 1, forgetting: 1, discount: 0.9);
        var (failed, passed) = (TwoKindVillage.Features([1]), TwoKindVillage.Features([1]));
        (failed[0][GovernorFeatures.QuizAt], passed[0][GovernorFeatures.QuizAt]) = (-1, 1);
        var (from, to) = (NpcClass.Of(failed[0]), NpcClass.Of(passed[0]));
        var rates = new List<double>();
        foreach (var (features, progress) in new[] { (failed, 9.0), (failed, 0.3), (failed, 0.5), (passed, 0.0) })
        {
            using var decision = policy.Decide([1], features, TwoKindVillage.Shares(1));
            rates.Add(decision.Allocations[0].TickRateHz);
            policy.Learn(decision, EpochYield.Sum(new Dictionary<int, NpcYield> { [1] = new(progress, 0.1) }));
        }

        var arm = ClassBanditPolicy.RateArmsHz.ToList().IndexOf(rates[0]);
        var (booked, paid) = (policy.RatesOf(from)!.ExpectedAtEachRate()?[arm], OnePullAt(arm, 0.4, 0.1));
        Assert.Multiple(() =>
        {
            Assert.That(policy.RatesOf(from)!.Count(arm), Is.EqualTo(1), "ended at the fourth decision, three epochs into a hold of six");
            Assert.That(booked?.Progress, Is.EqualTo(paid.Progress).Within(1e-12), "the mean of its two epochs after the settling one");
            Assert.That(Pulls(policy.RatesOf(to)!), Is.Zero, "the new class's hold has only begun");
        });

        using var early = new ClassBanditPolicy(seed: 1, holdEpochs: 6, settleEpochs: 2);
        var (exploring, explored) = NewcomerFeatures();
        var (unsettled, staged) = (new List<double>(), new List<double>());
        foreach (var features in new[] { failed, passed, failed, failed })
        {
            using var decision = early.Decide([1], features, TwoKindVillage.Shares(1));
            unsettled.Add(decision.Allocations[0].TickRateHz);
            early.Learn(decision, EpochYield.Sum(new Dictionary<int, NpcYield> { [1] = new(0.1, 0.1) }));
        }

        using var learner = new ClassBanditPolicy(seed: 1, holdEpochs: 6, settleEpochs: 1);
        foreach (var features in new[] { exploring, exploring, exploring, explored, explored })
        {
            using var decision = learner.Decide([0], features, TwoKindVillage.Shares(1));
            staged.Add(decision.Allocations[0].TickRateHz);
            learner.Learn(decision, EpochYield.Sum(new Dictionary<int, NpcYield> { [0] = new(0.1, 0.1) }));
        }

        using var newcomer = new ClassBanditPolicy(seed: 1, holdEpochs: 6, settleEpochs: 1);
        var failedFirst = NewcomerFeatures().Exploring;
        failedFirst[0][GovernorFeatures.QuizAt] = -1;
        var exploringRates = new List<double>();
        foreach (var features in new[] { exploring, exploring, exploring, failedFirst, failedFirst, failedFirst })
        {
            using var decision = newcomer.Decide([0], features, TwoKindVillage.Shares(1));
            exploringRates.Add(decision.Allocations[0].TickRateHz);
            newcomer.Learn(decision, EpochYield.Sum(new Dictionary<int, NpcYield> { [0] = new(0, 0.1) }));
        }

        Assert.Multiple(() =>
        {
            Assert.That((Pulls(early.RatesOf(from)!), unsettled.Distinct().Count()), Is.EqualTo((0.0, 1)), "a change within the settling epochs ends nothing");
            Assert.That(staged.Distinct().Count(), Is.EqualTo(1), "a newcomer that comes to learn keeps the arm that got it there");
            Assert.That((newcomer.ValueOf(NpcClass.Of(exploring[0])).Count(0), exploringRates.Distinct().Count()), Is.EqualTo((0.0, 1)), "a newcomer's first round, failed while it explores, ends nothing");
        });
    }

    [Test]
    public void A_hold_is_paid_what_the_class_it_led_to_is_worth_beyond_its_own_discounted_by_its_length()
    {
        using var policy = new ClassBanditPolicy(seed: 1, holdEpochs: 2, settleEpochs: 0, discount: 0.9);
        var (learning, skilled) = LearnerFeatures();
        var (from, to) = (NpcClass.Of(learning[0]), NpcClass.Of(skilled[0]));
        policy.ValueOf(to).Book(0, progress: 0.5, cost: 0.2); // what the next stage is worth
        void Hold(float[][] features, float[][] cameTo)
        {
            for (var epoch = 0; epoch < 2; epoch++)
            {
                using var decision = policy.Decide([0], features, TwoKindVillage.Shares(1));
                policy.Learn(decision, EpochYield.Sum(new Dictionary<int, NpcYield> { [0] = new(0, 0.1) })); // its own epochs buy nothing
            }

            policy.Decide([0], cameTo, TwoKindVillage.Shares(1)).Dispose(); // books the hold, then draws the next
            policy.Forget(0);
        }

        Hold(learning, skilled);
        var (first, paid) = (policy.GatesOf(from)!.Expected()!.Value, (Progress: 0.81 * 0.5, Cost: 0.1 + (0.81 * 0.2)));
        var worth = policy.ValueOf(from).Expected();
        policy.GatesOf(from)!.Fade(0); // the arms' pulls forgotten, the class's worth kept
        Hold(learning, learning);
        Assert.Multiple(() =>
        {
            Assert.That(first.Progress, Is.EqualTo(paid.Progress).Within(1e-12), "0.9 to the power of the hold's two epochs, times what the next stage bought; its own class had no worth yet");
            Assert.That(first.Cost, Is.EqualTo(paid.Cost).Within(1e-12), "its own CPU and the next stage's, discounted alike");
            Assert.That(worth!.Value.Progress, Is.EqualTo(0.81 * 0.5).Within(1e-12));
            Assert.That(worth.Value.Cost, Is.EqualTo(0.1 + (0.81 * 0.2)).Within(1e-12), "the class's worth: its own epochs, then the next class's, discounted");
            Assert.That(policy.GatesOf(from)!.Expected()!.Value.Progress - policy.GatesOf(from)!.Expected()!.Value.Cost, Is.EqualTo(-0.1).Within(1e-12), "a hold that stays in its class is paid its own epochs alone");
        });
    }

    /// <summary>A brain past exploring that reaches its goals a fifth of the time, and one that reaches them half the time.</summary>
    private static (float[][] Learning, float[][] Skilled) LearnerFeatures()
    {
        var learning = TwoKindVillage.Features([0]);
        learning[0][GovernorFeatures.SuccessAt] = 0.2f;
        return (learning, TwoKindVillage.Features([0]));
    }

    [Test]
    public void An_exploring_newcomer_is_drawn_no_arm_but_runs_at_the_fastest_rate_with_its_gate_open_where_a_learnt_gate_tries_its_untried_arm_first()
    {
        using var policy = new ClassBanditPolicy(seed: 1);
        var (exploring, explored) = NewcomerFeatures();
        policy.GatesOf(NpcClass.Of(explored[0]))!.Book(1, progress: 0.5, cost: 0.2); // as if from trails whose brains all had their gates open
        int[] ids = [0, 1, 2, 3, 4, 5, 6, 7];
        using var newcomers = policy.Decide(ids, [.. ids.Select(_ => exploring[0])], TwoKindVillage.Shares(ids.Length));
        using var learnt = policy.Decide([.. ids.Select(id => id + 10)], [.. ids.Select(_ => explored[0])], TwoKindVillage.Shares(ids.Length));
        Assert.Multiple(() =>
        {
            Assert.That(newcomers.Allocations.Select(a => (a.TickRateHz, a.GateOpen)), Is.All.EqualTo((ClassBanditPolicy.ExploringRateHz, true)));
            Assert.That((policy.RatesOf(NpcClass.Of(exploring[0])), policy.GatesOf(NpcClass.Of(exploring[0]))), Is.EqualTo(((RateCurve?)null, (ArmPayoffs?)null)), "an exploring class has no arms to learn");
            Assert.That(learnt.Allocations.Select(a => a.GateOpen), Is.All.False, "past exploring, the gate's arm never pulled is drawn first");
        });
    }

    [Test]
    public void The_price_is_what_the_classes_own_epochs_make_not_what_their_holds_were_credited_with()
    {
        using var policy = new ClassBanditPolicy(seed: 1, holdEpochs: 2, settleEpochs: 0, discount: 0.9);
        var (learning, skilled) = LearnerFeatures();
        policy.ValueOf(NpcClass.Of(skilled[0])).Book(0, progress: 0.5, cost: 0.2); // what the next stage is worth
        var rates = new List<double>();
        for (var epoch = 0; epoch < 2; epoch++)
        {
            using var decision = policy.Decide([0], learning, TwoKindVillage.Shares(1));
            rates.Add(decision.Allocations[0].TickRateHz);
            policy.Learn(decision, EpochYield.Sum(new Dictionary<int, NpcYield> { [0] = new(0.01, 0.1) }));
        }

        policy.Decide([0], skilled, TwoKindVillage.Shares(1)).Dispose(); // books the hold, credited with the stage it led to
        policy.Forget(0);
        policy.Decide([0], learning, TwoKindVillage.Shares(1)).Dispose(); // a learning NPC present: its class prices
        var arm = ClassBanditPolicy.RateArmsHz.ToList().IndexOf(rates[0]);
        var own = new RateCurve(ClassBanditPolicy.RateArmsHz);
        own.Book(arm, 0.01, 0.1);
        var (creditedProgress, creditedCost) = policy.GatesOf(NpcClass.Of(learning[0]))!.Expected()!.Value; // its gate's one pull
        var credited = creditedProgress / creditedCost;
        Assert.Multiple(() =>
        {
            Assert.That(policy.Price, Is.EqualTo(BestRatio.Of([(own, 1)])).Within(1e-12), "the best ratio of its own epochs: 0.01 for 0.1 CPU-s at its arm");
            Assert.That(credited, Is.GreaterThan(1.5 * policy.Price), "its arms were paid the next stage's worth, which its own epochs did not make");
        });
    }

    /// <summary>A village of 16 NPCs with <paramref name="newcomers"/> under a bandit of each seed: the two kinds' rates over its last 50 epochs.</summary>
    private static List<(double Learning, double Converged)> NewcomersUnderEachSeed(TwoKindVillage.Newcomers newcomers, int epochs) =>
        [.. Seeds.Select(seed =>
        {
            using var policy = new ClassBanditPolicy(seed);
            return TwoKindVillage.Steer(policy, [.. Enumerable.Range(0, 16)], epochs, delay: 10, newcomers: newcomers);
        })];

    /// <summary>
    /// The learning stage's mean rate (past exploring, not done) and the rest's over the last 50 epochs, seed by seed. Where
    /// learners finish, a newcomer's exploring ticks cost the same whenever they are paid (its presence is paid all its
    /// lifetime, and from 5 Hz up it still finishes within it), so its exploring rate is the bandit's to choose freely.
    /// </summary>
    private static List<(double Learning, double Converged)> LearnersUnderEachSeed(TwoKindVillage.Newcomers newcomers, int epochs) =>
        [.. Seeds.Select(seed =>
        {
            using var policy = new ClassBanditPolicy(seed);
            var learning = new List<double>();
            var (_, converged) = TwoKindVillage.Steer(policy, [.. Enumerable.Range(0, 16)], epochs, delay: 10, newcomers: newcomers, watch: epoch =>
            {
                if (epoch.Number >= epochs - 50)
                {
                    learning.AddRange(epoch.Allocations.Where(a => epoch.Learning.Contains(a.NpcId)).Select(a => a.TickRateHz));
                }
            });
            return (learning.DefaultIfEmpty(double.NaN).Average(), converged); // no learner: NaN, which no assertion passes
        })];

    /// <summary>NPC 0's features as a newcomer still exploring (its epsilon 1), and past exploring.</summary>
    private static (float[][] Exploring, float[][] Explored) NewcomerFeatures()
    {
        var exploring = TwoKindVillage.Features([0]);
        exploring[0][GovernorFeatures.EpsilonAt] = 1;
        return (exploring, TwoKindVillage.Features([0]));
    }

    private static double Pulls(RateCurve curve) => Enumerable.Range(0, curve.Arms).Sum(curve.Count);

    private static double Pulls(ArmPayoffs arms) => Enumerable.Range(0, arms.Arms).Sum(arms.Count);

    /// <summary>What a rate curve holding one pull of <paramref name="progress"/> and <paramref name="cost"/> at <paramref name="arm"/> expects there: a booked pull is read back by it.</summary>
    private static (double Progress, double Cost) OnePullAt(int arm, double progress, double cost)
    {
        var curve = new RateCurve(ClassBanditPolicy.RateArmsHz);
        curve.Book(arm, progress, cost);
        return curve.ExpectedAtEachRate()![arm];
    }

    [Test]
    public void A_hold_after_which_only_the_quiz_standing_changed_is_paid_its_own_epochs_alone()
    {
        using var policy = new ClassBanditPolicy(seed: 1, holdEpochs: 2, settleEpochs: 0, discount: 0.9);
        var (passed, failed) = (TwoKindVillage.Features([1]), TwoKindVillage.Features([1]));
        (passed[0][GovernorFeatures.QuizAt], failed[0][GovernorFeatures.QuizAt]) = (1, -1);
        policy.ValueOf(NpcClass.Of(passed[0])).Book(0, progress: 0, cost: 0.1);
        foreach (var features in new[] { passed, passed, failed })
        {
            using var decision = policy.Decide([1], features, TwoKindVillage.Shares(1));
            policy.Learn(decision, EpochYield.Sum(new Dictionary<int, NpcYield> { [1] = new(0, 0.1) }));
        }

        var rates = policy.RatesOf(NpcClass.Of(passed[0]))!;
        var arm = Enumerable.Range(0, rates.Arms).Single(a => rates.Count(a) > 0);
        Assert.Multiple(() =>
        {
            Assert.That(NpcClass.Of(failed[0]).StagedIndex, Is.EqualTo(NpcClass.Of(passed[0]).StagedIndex), "one role and stage");
            Assert.That(rates.Mean(arm, price: 1), Is.EqualTo(-0.1).Within(1e-12), "a skilled brain that failed a round it had passed gains nothing of the failed brains' worth");
        });
    }

    [Test]
    public void A_hold_that_led_to_a_class_of_no_known_worth_waits_until_that_class_has_one()
    {
        using var policy = new ClassBanditPolicy(seed: 1, holdEpochs: 2, settleEpochs: 0, discount: 0.9);
        var (exploring, explored) = NewcomerFeatures();
        var (from, to) = (NpcClass.Of(exploring[0]), NpcClass.Of(explored[0]));
        var booked = new List<double>();
        foreach (var features in new[] { exploring, exploring, explored, explored, explored })
        {
            using var decision = policy.Decide([0], features, TwoKindVillage.Shares(1));
            policy.Learn(decision, EpochYield.Sum(new Dictionary<int, NpcYield> { [0] = new(features == explored ? 0.4 : 0, 0.1) }));
            booked.Add(policy.ValueOf(from).Count(0)); // its class's worth, booked with its arms
        }

        Assert.Multiple(() =>
        {
            Assert.That(booked, Is.EqualTo(new[] { 0, 0, 0, 0, 1 }), "the exploring hold ended at the third decision, and waited for the first hold in the class it led to");
            Assert.That(policy.ValueOf(from).Expected()!.Value.Progress, Is.EqualTo(0.81 * 0.4).Within(1e-12), "then paid what that class's hold bought, discounted");
        });
    }

    [Test]
    public void A_hold_drawn_while_its_npc_explores_lasts_until_it_has_explored_up_to_its_cap()
    {
        using var policy = new ClassBanditPolicy(seed: 1, holdEpochs: 2, settleEpochs: 0, discount: 0.9);
        var (exploring, explored) = NewcomerFeatures();
        var from = NpcClass.Of(exploring[0]);
        policy.ValueOf(NpcClass.Of(explored[0])).Book(0, progress: 0.5, cost: 0.2); // the next stage's worth is known
        List<double> Booked(IEnumerable<float[][]> epochs)
        {
            var booked = new List<double>();
            foreach (var features in epochs)
            {
                using var decision = policy.Decide([0], features, TwoKindVillage.Shares(1));
                booked.Add(Math.Round(policy.ValueOf(from).Count(0))); // faded a little
                policy.Learn(decision, EpochYield.Sum(new Dictionary<int, NpcYield> { [0] = new(0, 0.1) }));
            }

            policy.Forget(0);
            return booked;
        }

        var leaving = Booked([.. Enumerable.Repeat(exploring, 5), explored]);
        var staying = Booked(Enumerable.Repeat(exploring, (2 * ClassBanditPolicy.ExploringHolds) + 1));
        Assert.Multiple(() =>
        {
            Assert.That(leaving, Is.EqualTo(new[] { 0, 0, 0, 0, 0, 1 }), "one hold of five epochs, past its two, ended where its NPC was seen to have explored");
            Assert.That(staying, Is.EqualTo(Enumerable.Repeat(1, 2 * ClassBanditPolicy.ExploringHolds).Append(2)), "held to its cap, four holds' epochs, then booked");
        });
    }

    [Test]
    public void Newcomers_whose_ticks_buy_nothing_for_longer_than_a_hold_at_the_fastest_rate_are_still_hurried()
    {
        // The benchmark's brains: their random share falls from 1 to 0.05 over 1,000 ticks, 50 epochs at 20 Hz; what
        // they learn comes as it falls, so a hold of 30 at the fastest rate ends with nothing learnt yet. The slow rates'
        // holds reach nothing either, and a curve through the origin took its slope from their many pulls: with
        // 600 ticks (the lesson above) eleven seeds of twelve ran them fast, with 1,000 six of twelve did (the
        // others at 1 Hz). Judged as an arm per rate, each held until its NPC has explored, twelve of twelve.
        var runs = NewcomersUnderEachSeed(TwoKindVillage.Newcomers.Lesson with { ExploreSteps = 1000 }, epochs: 2000);
        TestContext.Out.WriteLine($"last 50 of 2,000 epochs, exploring or learning / converged kind: {string.Join("; ", runs.Select(r => $"{r.Learning:F1} / {r.Converged:F1} Hz"))}");

        Assert.That(runs.Select(r => r.Learning - r.Converged), Is.All.GreaterThan(TwoKindVillage.DelayedGap), "newcomers run fast, with every seed");
    }

    [Test]
    public void A_hold_cut_short_by_a_new_brain_process_is_never_booked()
    {
        using var policy = new ClassBanditPolicy(seed: 2, holdEpochs: 3, settleEpochs: 0);
        var features = TwoKindVillage.Features([0]);
        for (var epoch = 0; epoch < 5; epoch++)
        {
            using var decision = policy.Decide([0], features, TwoKindVillage.Shares(1));
            policy.Learn(decision, EpochYield.Sum(new Dictionary<int, NpcYield> { [0] = new(0.1, 0.1) }));
            if (epoch == 1)
            {
                policy.Forget(0);
            }
        }

        policy.Decide([0], features, TwoKindVillage.Shares(1)).Dispose();

        var rates = policy.RatesOf(NpcClass.Of(features[0]))!;
        Assert.That(Enumerable.Range(0, rates.Arms).Sum(rates.Count), Is.EqualTo(1), "epochs 0-1 were the old brain's; epochs 2-4 made one whole hold");
    }

    [Test]
    public void Where_a_brain_s_progress_is_noisy_every_epoch_it_still_tells_the_learning_kind_from_the_converged_one()
    {
        // Progress noise of 0.02 an epoch, a fifth of what the learning kind gains at 20 Hz, and the converged kind's
        // ticks costing a tenth of the learning kind's: the actor-critic parted the kinds with none of eight seeds
        // here (bench: governor-kinds).
        int[] ids = [.. Enumerable.Range(0, 16)];
        var runs = Seeds.Select(seed =>
        {
            using var policy = new ClassBanditPolicy(seed);
            return TwoKindVillage.Steer(policy, ids, epochs: 1000, delay: 10, convergedTickCost: 0.1, progressNoise: 0.02, noiseSeed: seed);
        }).ToList();
        TestContext.Out.WriteLine($"last 50 of 1,000 epochs, learning / converged kind: {string.Join("; ", runs.Select(r => $"{r.Learning:F1} / {r.Converged:F1} Hz"))}");

        Assert.That(runs.Select(r => r.Learning - r.Converged), Is.All.GreaterThan(TwoKindVillage.DelayedGap), "the learning kind ticks faster, with every seed");
    }

    [Test]
    public void A_newcomer_explores_at_the_fastest_rate_even_where_its_holds_are_paid_nothing_for_the_learning_they_lead_to()
    {
        // A newcomer's first 600 ticks buy nothing; it leaves after 300 epochs, so at 1 Hz it never learns. Judged by its
        // hold alone (the class it leads to worth nothing), exploring is all cost; it is not judged: it runs at the fastest
        // rate, and its learning is what the classes past exploring are judged by.
        int[] ids = [.. Enumerable.Range(0, 16)];
        var holdOnly = Seeds.Select(seed =>
        {
            using var policy = new ClassBanditPolicy(seed, discount: 1e-9);
            return TwoKindVillage.Steer(policy, ids, epochs: 2000, delay: 10, newcomers: TwoKindVillage.Newcomers.Lesson);
        }).ToList();
        TestContext.Out.WriteLine($"last 50 of 2,000 epochs, learning / converged kind, hold only: {string.Join("; ", holdOnly.Select(r => $"{r.Learning:F1} / {r.Converged:F1} Hz"))}");

        Assert.That(holdOnly.Select(r => r.Learning - r.Converged), Is.All.GreaterThan(TwoKindVillage.DelayedGap), "newcomers run fast, with every seed");
    }

    [Test]
    public void Newcomers_that_arrive_in_a_village_with_nothing_left_to_learn_are_hurried()
    {
        // The first learners are done within a hundred epochs; for 900 more nobody learns, and the price is the long
        // run's. Then newcomers arrive, one every 19 epochs: a price left over from the idle village, or curves gone
        // stale since the first newcomers explored, must not keep them slow.
        var runs = LearnersUnderEachSeed(TwoKindVillage.Newcomers.Finishing with { Arriving = 1000 }, epochs: 1300);
        TestContext.Out.WriteLine($"epochs 1,250-1,300, learning / done or converged: {string.Join("; ", runs.Select(r => $"{r.Learning:F1} / {r.Converged:F1} Hz"))}");

        Assert.That(runs.Select(r => r.Learning - r.Converged), Is.All.GreaterThan(TwoKindVillage.DelayedGap), "newcomers learn fast, with every seed");
    }

    [Test]
    public void Brains_that_learn_slowly_keep_their_rate_while_a_wave_of_fast_learners_passes()
    {
        // The converged kind learns slowly for ever: 0.03 of a level an epoch at 20 Hz, so from 1 to 20 Hz its ticks buy 0.3
        // per CPU-second. Every 300 epochs all learners leave together and newcomers come, explore, learn at 0.67 per CPU-second
        // for 60 epochs and are done. The village makes about 0.2 over its stretch, so the slow learners' ticks are worth
        // buying all along; priced at the best ratio of the NPCs present, 0.5 while a wave learns, they were slowed to 1 Hz.
        int[] ids = [.. Enumerable.Range(0, 16)];
        var wave = TwoKindVillage.Newcomers.Finishing with { Together = true };
        var runs = Seeds.Select(seed =>
        {
            using var policy = new ClassBanditPolicy(seed);
            var slowLearners = new List<double>();
            TwoKindVillage.Steer(policy, ids, epochs: 2000, delay: 10, newcomers: wave, convergedGain: 0.03, watch: epoch =>
            {
                if (epoch.Number >= 1000 && epoch.Learning.Count > 0)
                {
                    slowLearners.Add(epoch.Allocations.Where(a => !TwoKindVillage.Learns(a.NpcId)).Average(a => a.TickRateHz));
                }
            });
            return slowLearners.Average();
        }).ToList();
        TestContext.Out.WriteLine($"the slow learners' rate while a wave learns, epochs 1,000-2,000: {string.Join("; ", runs.Select(r => $"{r:F1} Hz"))}");

        Assert.That(runs, Is.All.GreaterThan(15), "near 20 Hz, with every seed");
    }

    [Test]
    public void A_village_of_one_kind_that_learns_in_proportion_to_its_ticks_runs_fast_though_each_epoch_s_noise_is_many_times_its_gain()
    {
        // As a real village of skilled brains short of their round: 0.002 of a level an epoch at 20 Hz against a spread of
        // 0.016 there (as the square root of the rate below), and a brain costs a tenth of its CPU at 20 Hz whatever its rate, so 20 Hz makes the best ratio, four times
        // 1 Hz's. Priced at the means, the class is priced at its own best ratio, where its rates differ by a tenth of the
        // gain, and a draw of its curve alone picked among them by the noise: 12.8-15.2 Hz on average over these seeds.
        var runs = Seeds.Select(seed =>
        {
            using var policy = new ClassBanditPolicy(seed);
            var noise = new Random(seed);
            int[] ids = [.. Enumerable.Range(0, 8).Select(i => 2 * i)];
            var features = TwoKindVillage.Features(ids);
            var late = new List<double>();
            for (var epoch = 0; epoch < 2000; epoch++)
            {
                using var decision = policy.Decide(ids, features, TwoKindVillage.Shares(ids.Length));
                policy.Learn(decision, EpochYield.Sum(decision.Allocations.ToDictionary(a => a.NpcId, a =>
                    new NpcYield((0.002 * a.TickRateHz / 20) + (0.016 * Math.Sqrt(a.TickRateHz / 20) * noise.NextGaussian()), 0.0028 + (0.0252 * a.TickRateHz / 20)))));
                if (epoch >= 1500)
                {
                    late.Add(decision.Allocations.Average(a => a.TickRateHz));
                }
            }

            return late.Average();
        }).ToList();
        TestContext.Out.WriteLine($"epochs 1,500-2,000, mean rate: {string.Join("; ", runs.Select(r => $"{r:F1} Hz"))}");

        Assert.That(runs, Is.All.GreaterThan(16.5), "near 20 Hz, with every seed");
    }

    [Test]
    public void Its_price_is_near_what_its_village_makes_not_raised_or_lowered_by_what_its_holds_were_credited_with()
    {
        // Where newcomers explore, learn and are done, a hold that ends a learner's learning is paid less than its own
        // epochs (the stage it leads to is worth less) and an exploring one more: a price of the credited curves would be
        // moved by both (to 0.70-0.78 of what the village made where learners finish). Of their own epochs, it is the best
        // its NPCs could have made: about what the village makes, a little above as the village pays for its arms'
        // exploring, or a little below where a seed's curves lag it (0.86 in one seed where learners finish).
        int[] ids = [.. Enumerable.Range(0, 16)];
        var runs = new[] { TwoKindVillage.Newcomers.Lesson, TwoKindVillage.Newcomers.Finishing }.SelectMany(lesson => Seeds.Select(seed =>
        {
            using var policy = new ClassBanditPolicy(seed);
            var (made, priced) = ((Progress: 0.0, Cost: 0.0), new List<double>());
            TwoKindVillage.Steer(policy, ids, epochs: 2000, delay: 10, newcomers: lesson, watch: epoch =>
            {
                if (epoch.Number >= 1000)
                {
                    made = (made.Progress + epoch.Outcome.Progress, made.Cost + epoch.Outcome.Cost);
                    priced.Add(policy.Price);
                }
            });
            return priced.Average() / (made.Progress / made.Cost);
        })).ToList();
        TestContext.Out.WriteLine($"mean price over what the village made, epochs 1,000-2,000, exploring and learning forever / done after learning: {string.Join("; ", runs.Select(r => $"{r:F2}"))}");

        Assert.That(runs, Is.All.InRange(0.85, 1.25), "with every seed and both villages");
    }

    [Test]
    public void A_learner_is_hurried_to_the_end_of_its_learning_though_a_brain_that_is_done_is_worth_less()
    {
        // Newcomers explore, learn for 60 epochs at 20 Hz, and are then done: skilled, gaining nothing. The hold that ends
        // a learner's learning leads to a stage worth less than learning; that is no reason to learn slowly.
        var runs = LearnersUnderEachSeed(TwoKindVillage.Newcomers.Finishing, epochs: 2000);
        TestContext.Out.WriteLine($"last 50 of 2,000 epochs, learning / done or converged: {string.Join("; ", runs.Select(r => $"{r.Learning:F1} / {r.Converged:F1} Hz"))}");

        Assert.That(runs.Select(r => r.Learning - r.Converged), Is.All.GreaterThan(TwoKindVillage.DelayedGap), "learners run fast, with every seed");
    }

    [Test]
    public void A_village_that_has_learnt_all_it_can_is_run_slowly_not_at_whatever_rate_its_noise_favours()
    {
        // Learners are done within a hundred epochs; for the rest of 2,000, no brain gains anything but noise. Priced at
        // what the village buys lately, or the best it could still make, nothing, every rate looks alike; a village with
        // nothing left to buy keeps the worth a CPU-second had over its long run.
        int[] ids = [.. Enumerable.Range(0, 16)];
        var runs = Seeds.Select(seed =>
        {
            using var policy = new ClassBanditPolicy(seed);
            var rates = TwoKindVillage.Steer(policy, ids, epochs: 2000, delay: 10, progressNoise: 0.005, noiseSeed: seed, newcomers: TwoKindVillage.Newcomers.DoneLearning);
            return (Rate: rates.Converged, policy.Price);
        }).ToList();
        TestContext.Out.WriteLine($"last 50 of 2,000 epochs: {string.Join("; ", runs.Select(r => $"{r.Rate:F1} Hz at a price of {r.Price:F4}"))}");

        Assert.Multiple(() =>
        {
            Assert.That(runs.Select(r => r.Rate), Is.All.LessThan(3), "every brain near 1 Hz, with every seed");
            Assert.That(runs.Select(r => r.Price), Is.All.GreaterThan(0.01), "a CPU-second still has a price");
        });
    }

    [Test]
    public void Warm_started_from_a_record_of_random_rates_it_runs_the_learning_kind_fast_and_the_converged_one_slow()
    {
        // 16 NPCs over 600 recorded epochs, each at a rate of the grid drawn every 30, the gain 10 epochs late.
        int[] ids = [.. Enumerable.Range(0, 16)];
        var random = new Random(11);
        var trajectories = ids.Select(id =>
        {
            var (past, steps, features) = (new Queue<double>(), new List<TrailStep>(), TwoKindVillage.Features([id])[0]);
            var rate = 0.0;
            for (var epoch = 0; epoch < 600; epoch++)
            {
                rate = epoch % 30 == 0 ? ClassBanditPolicy.RateArmsHz[random.Next(ClassBanditPolicy.RateArmsHz.Count)] : rate;
                var outcome = TwoKindVillage.Yield(id, rate, TwoKindVillage.Bought(past, rate, delay: 10));
                steps.Add(new TrailStep(features, new NpcAllocation(id, rate, 10, GateOpen: false, 5), outcome));
            }

            return (IReadOnlyList<TrailStep>)steps;
        }).ToList();
        using var untrained = new ClassBanditPolicy(seed: 1);
        using var warm = new ClassBanditPolicy(seed: 1);

        var booked = warm.WarmStart(trajectories);

        var (before, after) = (Decided(untrained), Decided(warm));
        TestContext.Out.WriteLine($"first decision, learning / converged kind: untrained {before.Learning:F1} / {before.Converged:F1} Hz, warm-started {after.Learning:F1} / {after.Converged:F1} Hz");
        Assert.Multiple(() =>
        {
            Assert.That(booked, Is.EqualTo(16 * 19), "each NPC's 600 epochs make 19 holds with an epoch after them");
            Assert.That(after.Learning - after.Converged, Is.GreaterThan(TwoKindVillage.DelayedGap), "from its first decision");
            Assert.That(warm.Price, Is.GreaterThan(0), "priced at the record's own progress per CPU-second");
            Assert.That(Math.Abs(before.Learning - before.Converged), Is.LessThan(TwoKindVillage.DelayedGap), "which the untrained bandit did not know");
        });

        (double Learning, double Converged) Decided(ClassBanditPolicy policy)
        {
            using var decision = policy.Decide(ids, TwoKindVillage.Features(ids), TwoKindVillage.Shares(ids.Length));
            return TwoKindVillage.Rates(decision.Allocations);
        }
    }

    [Test]
    public void Its_statistics_and_its_price_survive_a_checkpoint()
    {
        // A village done learning: its price then comes of its long run (what it bought lately is nothing).
        using var policy = new ClassBanditPolicy(seed: 3);
        int[] ids = [.. Enumerable.Range(0, 8)];
        TwoKindVillage.Steer(policy, ids, epochs: 500, delay: 0, newcomers: TwoKindVillage.Newcomers.DoneLearning);
        using var restored = new ClassBanditPolicy(seed: 4);
        restored.LoadWeights(policy.SaveWeights()!);
        var classes = TwoKindVillage.Features(ids).Select(NpcClass.Of).Distinct().ToList();
        foreach (var decider in new[] { policy, restored })
        {
            using var decision = decider.Decide(ids, TwoKindVillage.Features(ids), TwoKindVillage.Shares(ids.Length)); // prices the NPCs present
        }

        Assert.Multiple(() =>
        {
            Assert.That(restored.Price, Is.EqualTo(policy.Price).And.GreaterThan(0));
            Assert.That(classes.SelectMany(c => Enumerable.Range(0, ClassBanditPolicy.RateArmsHz.Count).Select(a => restored.RatesOf(c)!.Mean(a, 0.2))),
                Is.EqualTo(classes.SelectMany(c => Enumerable.Range(0, ClassBanditPolicy.RateArmsHz.Count).Select(a => policy.RatesOf(c)!.Mean(a, 0.2)))));
            Assert.That(classes.Sum(c => restored.GatesOf(c)!.Count(0) + restored.GatesOf(c)!.Count(1)), Is.GreaterThan(0));
            Assert.That(() => restored.LoadWeights([1, 2, 3]), Throws.ArgumentException.With.Message.Contains(ClassBanditPolicy.WeightsFormat));
        });
    }

    [Test]
    public void The_daemon_makes_it_by_name_and_stores_it_in_its_own_format()
    {
        using var policy = (GovernorSettings.Default with { Policy = GovernorSettings.ClassBandit }).NewPolicy(AllocationPlannerTests.Village);

        Assert.That(policy, Is.InstanceOf<ClassBanditPolicy>());
        Assert.That(GovernorSettings.WeightsFormatOf(GovernorSettings.ClassBandit), Is.Not.EqualTo(GovernorSettings.WeightsFormatOf(GovernorSettings.Learned)));
    }
}
