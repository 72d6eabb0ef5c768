using Nimmerverse.Actors.Governor;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Governor;

/// <summary>The objective's skill: level plus success, the success of a brain with few errands behind it shrunk toward a random walk's.</summary>
[Category(TestTier.Unit)]
public sealed class GovernorObjectiveTests
{
    private static NpcStateBody State(long errands, double success, int level = 0, int? onLevel = null) => new(1, 100, 5, 5, 0, 0, errands, success, 0, 0, 0, 0, Level: level, SuccessErrands: onLevel);

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

    [Test]
    public void After_a_level_up_the_rate_is_shrunk_by_the_errands_on_the_new_level_not_by_all_the_brains_episodes()
    {
        // 400 episodes behind it, one of them on level 3, reached: one errand, as with a newcomer.
        Assert.That(GovernorObjective.Skill(State(400, 1.0, level: 3, onLevel: 1)), Is.EqualTo(3 + ((1 + 2.3) / 11)).Within(1e-12));
        Assert.That(GovernorObjective.Skill(State(400, 0.5, level: 3, onLevel: 500)), Is.EqualTo(GovernorObjective.Skill(State(400, 0.5, level: 3))).Within(1e-12), "never over more than the window");
    }

    [Test]
    public void A_level_up_is_worth_a_level_less_what_the_brain_had_reached_on_the_old_one()
    {
        // Its rate on the new level starts empty: the jump is a level, less the old rate, plus the prior's,
        // and it does not then fall errand by errand as the old level's successes leave the window.
        var before = State(400, 0.9, level: 2, onLevel: 50);
        var after = State(401, 0, level: 3, onLevel: 0);
        Assert.That(GovernorObjective.Skill(after) - GovernorObjective.Skill(before), Is.EqualTo(1 + 0.23 - (((0.9 * 50) + 2.3) / 60)).Within(1e-12));
    }

    [Test]
    public void An_epoch_from_a_brain_that_has_not_yet_seen_the_world_measures_nothing()
    {
        // A newcomer's first states carry no observation: level and lifeforce read 0 until its citizen's arrive.
        var blind = State(0, 0) with { Tick = 1, CpuMs = 40, InWorld = false };
        var sees = State(0, 0) with { Tick = 3, CpuMs = 90, Lifeforce = 812, InWorld = true };
        var later = sees with { Tick = 9, CpuMs = 130, Lifeforce = 813 };
        Assert.Multiple(() =>
        {
            Assert.That(GovernorObjective.Measures(blind, sees), Is.False, "the citizen's 812 LF were not gained in this epoch");
            Assert.That(GovernorObjective.Measures(blind, blind with { Tick = 2 }), Is.False);
            Assert.That(GovernorObjective.Measures(sees, later), Is.True);
            Assert.That(GovernorObjective.Measures(sees with { InWorld = null }, later with { InWorld = null }), Is.True, "a brain older than the field is measured as before");
        });
    }

    [Test]
    public void An_epoch_across_a_new_brain_process_measures_nothing()
    {
        var old = State(400, 0.9) with { Tick = 5000, CpuMs = 90_000, Lifeforce = 812, InWorld = true };
        var newcomer = State(3, 0.3) with { Tick = 40, CpuMs = 1_500, Lifeforce = 809, InWorld = true };
        Assert.Multiple(() =>
        {
            Assert.That(GovernorObjective.Measures(old, newcomer), Is.False, "its tick and CPU counters started again");
            Assert.That(GovernorObjective.Measures(old, newcomer with { Tick = 6000 }), Is.False, "its CPU counter alone went back");
            Assert.That(GovernorObjective.Measures(old, newcomer with { CpuMs = 95_000 }), Is.False, "its tick alone went back");
        });
    }
}
