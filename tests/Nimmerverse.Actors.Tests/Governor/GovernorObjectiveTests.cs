using Nimmerverse.Actors.Governor;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Governor;

/// <summary>The objective's skill: level plus success, the success of a brain with few errands behind it shrunk toward a random walk's.</summary>
[Category(TestTier.Unit)]
public sealed class GovernorObjectiveTests
{
    private static NpcStateBody State(long errands, double success, int level = 0) => new(1, 100, 5, 5, 0, 0, errands, success, 0, 0, 0, 0, Level: level);

    [Test]
    public void A_brain_with_a_full_window_of_errands_is_its_level_plus_its_success()
    {
        Assert.That(GovernorObjective.Skill(State(400, 0.9, level: 2)), Is.EqualTo(2 + ((0.9 * 50) + (0.23 * 10)) / 60).Within(1e-12));
        Assert.That(GovernorObjective.Skill(State(400, 0.9, level: 2)) - GovernorObjective.Skill(State(400, 0.4, level: 2)), Is.EqualTo(0.5 * 50 / 60).Within(1e-12), "differences in success count nearly whole");
    }

    [Test]
    public void A_newcomers_first_errand_reached_is_not_a_whole_point_of_skill()
    {
        var first = GovernorObjective.Skill(State(1, 1.0)) - GovernorObjective.Skill(State(0, 0));
        Assert.That(first, Is.EqualTo((1 + 2.3) / 11 - 0.23).Within(1e-12));
        Assert.That(first, Is.LessThan(0.1), "one lucky errand says little");
    }
}
