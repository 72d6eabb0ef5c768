using Nimmerverse.Actors.Governor;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Governor;

/// <summary>Credit over many epochs by hand-computed examples: when a decision is credited, with what, and when its trajectory is cut.</summary>
[Category(TestTier.Unit)]
public sealed class DelayedCreditTests
{
    /// <summary>A decision whose one input is a marker the tests' critics value it by.</summary>
    private static DelayedCredit.Step Step(float reward, float marker = 0) => new([marker], [0], reward);

    /// <summary>A critic that values each marker as the table says, and counts the states it was asked about, call by call.</summary>
    private sealed class Critic(Dictionary<float, float> table)
    {
        public List<int> Calls { get; } = [];

        public float[] Values(IReadOnlyList<float[]> states)
        {
            Calls.Add(states.Count);
            return [.. states.Select(s => table[s[0]])];
        }
    }

    [Test]
    public void A_decision_waits_for_its_horizon_and_is_credited_with_the_discounted_td_errors()
    {
        var credit = new DelayedCredit(horizon: 2, discount: 0.5, lambda: 0.5);
        var critic = new Critic(new() { [1] = 1, [2] = 2, [3] = 4 });
        var credited = new List<DelayedCredit.Credited>();
        credit.Add(7, Step(reward: 1, marker: 1));
        credit.Add(7, Step(reward: 1, marker: 2));
        credit.Collect(credited, critic.Values);
        Assert.That(credited, Is.Empty, "two epochs after the first decision are not known yet");
        Assert.That(critic.Calls, Is.Empty, "nothing due, nothing to value");

        credit.Add(7, Step(reward: 3, marker: 3));
        credit.Collect(credited, critic.Values);

        // δ0 = 1 + 0.5·2 - 1 = 1, δ1 = 1 + 0.5·4 - 2 = 1; A = δ0 + (0.5·0.5)·δ1 = 1.25; the return is A + V0.
        Assert.That(credited.Select(c => (c.Inputs[0], c.Advantage, c.Return)), Is.EqualTo(new[] { (1f, 1.25f, 2.25f) }));
        Assert.That(credit.Pending, Is.EqualTo(2), "the later decisions wait for theirs");
    }

    [Test]
    public void Every_state_of_a_window_is_valued_by_the_critic_as_it_is_when_the_credit_is_due()
    {
        var credit = new DelayedCredit(horizon: 2, discount: 0.5, lambda: 1);
        credit.Add(7, Step(reward: 1, marker: 1));
        credit.Add(7, Step(reward: 1, marker: 2));
        credit.Add(7, Step(reward: 1, marker: 3));
        credit.Collect([], new Critic(new() { [1] = 0, [2] = 0, [3] = 0 }).Values);
        credit.Add(7, Step(reward: 1, marker: 4));

        // The critic has moved since the second and third decisions were made: all of its values are the new one's.
        var moved = new Critic(new() { [2] = 2, [3] = 2, [4] = 2 });
        var credited = new List<DelayedCredit.Credited>();
        credit.Collect(credited, moved.Values);

        // δ0 = 1 + 0.5·2 - 2 = 0, δ1 = 1 + 0.5·2 - 2 = 0: a critic that agrees with itself adds nothing.
        Assert.That(credited.Select(c => (c.Inputs[0], c.Advantage, c.Return)), Is.EqualTo(new[] { (2f, 0f, 2f) }));
        Assert.That(moved.Calls, Is.EqualTo(new[] { 3 }), "the decision's window, its state and the horizon's, in one call");
    }

    [Test]
    public void With_no_discount_a_decision_has_only_its_own_epoch()
    {
        var credit = new DelayedCredit(horizon: 1, discount: 0, lambda: 0.95);
        var credited = new List<DelayedCredit.Credited>();
        credit.Add(1, Step(reward: 2, marker: 1));
        credit.Add(1, Step(reward: -50, marker: 2));
        credit.Collect(credited, new Critic(new() { [1] = 0.5f, [2] = 100 }).Values);

        Assert.That(credited.Single().Advantage, Is.EqualTo(1.5f), "its reward against the critic's value, nothing of what followed");
    }

    [Test]
    public void Of_more_npcs_due_than_asked_for_a_sample_is_credited_and_every_due_decision_let_go()
    {
        var credit = new DelayedCredit(horizon: 1, discount: 0.9, lambda: 0.9);
        for (var epoch = 0; epoch < 2; epoch++)
        {
            foreach (var id in Enumerable.Range(0, 5))
            {
                credit.Add(id, Step(reward: 1, marker: id));
            }
        }

        var critic = new Critic(Enumerable.Range(0, 5).ToDictionary(id => (float)id, _ => 0f));
        var credited = new List<DelayedCredit.Credited>();
        credit.Collect(credited, critic.Values, atMost: 2, new Random(1));

        Assert.That(credited.Select(c => c.Inputs[0]).Distinct().Count(), Is.EqualTo(2), "two NPCs' decisions, one each");
        Assert.That(critic.Calls, Is.EqualTo(new[] { 4 }), "only the sampled NPCs' windows are valued");
        Assert.That(credit.Pending, Is.EqualTo(5), "every NPC keeps only its latest decision, which waits for its epoch");
    }

    [Test]
    public void An_absent_or_restarted_npc_takes_its_waiting_decisions_with_it()
    {
        var credit = new DelayedCredit(horizon: 1, discount: 0.9, lambda: 0.9);
        foreach (var id in new[] { 1, 2, 3 })
        {
            credit.Add(id, Step(reward: 1));
        }

        credit.Forget(2);          // its brain started afresh
        credit.Retain(new HashSet<int> { 1, 2 }); // 3 is gone
        foreach (var id in new[] { 1, 2, 3 })
        {
            credit.Add(id, Step(reward: 1));
        }

        var credited = new List<DelayedCredit.Credited>();
        credit.Collect(credited, new Critic(new() { [0] = 0 }).Values);
        Assert.That(credited, Has.Count.EqualTo(1), "only NPC 1 has a decision with an epoch after it");
        Assert.That(credit.Pending, Is.EqualTo(3));
    }
}
