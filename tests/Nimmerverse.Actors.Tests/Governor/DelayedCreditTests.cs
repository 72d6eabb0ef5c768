using Nimmerverse.Actors.Governor;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Governor;

/// <summary>Credit over many epochs by hand-computed examples: when a decision is credited, with what, and when its trajectory is cut.</summary>
[Category(TestTier.Unit)]
public sealed class DelayedCreditTests
{
    private static DelayedCredit.Step Step(float value, float reward, float marker = 0) => new([marker], [0], value, reward);

    [Test]
    public void A_decision_waits_for_its_horizon_and_is_credited_with_the_discounted_td_errors()
    {
        var credit = new DelayedCredit(horizon: 2, discount: 0.5, lambda: 0.5);
        var credited = new List<DelayedCredit.Credited>();
        credit.Add(7, Step(value: 1, reward: 1, marker: 1));
        credit.Add(7, Step(value: 2, reward: 1, marker: 2));
        credit.Collect(credited);
        Assert.That(credited, Is.Empty, "two epochs after the first decision are not known yet");

        credit.Add(7, Step(value: 4, reward: 3, marker: 3));
        credit.Collect(credited);

        // δ0 = 1 + 0.5·2 - 1 = 1, δ1 = 1 + 0.5·4 - 2 = 1; A = δ0 + (0.5·0.5)·δ1 = 1.25; the return is A + V0.
        Assert.That(credited.Select(c => (c.Inputs[0], c.Advantage, c.Return)), Is.EqualTo(new[] { (1f, 1.25f, 2.25f) }));
        Assert.That(credit.Pending, Is.EqualTo(2), "the later decisions wait for theirs");
    }

    [Test]
    public void With_no_discount_a_decision_has_only_its_own_epoch()
    {
        var credit = new DelayedCredit(horizon: 1, discount: 0, lambda: 0.95);
        var credited = new List<DelayedCredit.Credited>();
        credit.Add(1, Step(value: 0.5f, reward: 2));
        credit.Add(1, Step(value: 100, reward: -50));
        credit.Collect(credited);

        Assert.That(credited.Single().Advantage, Is.EqualTo(1.5f), "its reward against the critic's value, nothing of what followed");
    }

    [Test]
    public void An_absent_or_restarted_npc_takes_its_waiting_decisions_with_it()
    {
        var credit = new DelayedCredit(horizon: 1, discount: 0.9, lambda: 0.9);
        foreach (var id in new[] { 1, 2, 3 })
        {
            credit.Add(id, Step(0, 1));
        }

        credit.Forget(2);          // its brain started afresh
        credit.Retain(new HashSet<int> { 1, 2 }); // 3 is gone
        foreach (var id in new[] { 1, 2, 3 })
        {
            credit.Add(id, Step(0, 1));
        }

        var credited = new List<DelayedCredit.Credited>();
        credit.Collect(credited);
        Assert.That(credited, Has.Count.EqualTo(1), "only NPC 1 has a decision with an epoch after it");
        Assert.That(credit.Pending, Is.EqualTo(3));
    }
}
