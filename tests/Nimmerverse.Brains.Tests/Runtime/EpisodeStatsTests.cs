using Nimmerverse.Brains.Runtime;
using Nimmerverse.Testing;

namespace Nimmerverse.Brains.Tests.Runtime;

/// <summary>The success the state message reports: over the last 50 episodes, at the current level.</summary>
[Category(TestTier.Unit)]
public sealed class EpisodeStatsTests
{
    [Test]
    public void The_success_rate_is_over_the_last_fifty_episodes()
    {
        var stats = new EpisodeStats();
        for (var i = 0; i < 60; i++)
        {
            stats.EpisodeEnded(i < 10); // the first ten reached, then none: those ten leave the window
        }

        Assert.That((stats.WindowCount, stats.SuccessRate), Is.EqualTo((EpisodeStats.Window, 0.0)));
    }

    [Test]
    public void A_new_level_starts_an_empty_window_and_keeps_the_episode_count()
    {
        var stats = new EpisodeStats();
        for (var i = 0; i < 50; i++)
        {
            stats.EpisodeEnded(true);
        }

        Assert.That(stats.AtLevel(0), Is.False, "the first level the world names is where the window is");
        Assert.That(stats.AtLevel(1), Is.True);
        Assert.That((stats.WindowCount, stats.SuccessRate, stats.Episodes), Is.EqualTo((0, 0.0, 50L)));

        stats.EpisodeEnded(false);
        stats.EpisodeEnded(true);
        Assert.That((stats.WindowCount, stats.SuccessRate, stats.Episodes), Is.EqualTo((2, 0.5, 52L)), "the old level's successes are not in it");
    }

    [Test]
    public void A_restored_window_reports_the_success_it_had_at_the_level_it_was_at()
    {
        var before = new EpisodeStats();
        before.AtLevel(2);
        for (var i = 0; i < 70; i++)
        {
            before.EpisodeEnded(i % 5 != 0); // four in five reached
        }

        var restored = new EpisodeStats();
        restored.Restore(before.Episodes, before.WindowLevel, before.RecentErrands);

        Assert.That((restored.Episodes, restored.WindowCount, restored.SuccessRate), Is.EqualTo((70L, EpisodeStats.Window, before.SuccessRate)));
        Assert.That(restored.SuccessRate, Is.EqualTo(0.8).Within(1e-9));
        Assert.That(restored.AtLevel(2), Is.False, "the world is where the checkpoint was: the window stays");
        Assert.That(restored.WindowCount, Is.EqualTo(EpisodeStats.Window));
    }

    [Test]
    public void A_restored_window_of_another_level_than_the_worlds_is_emptied_at_the_first_step()
    {
        var restored = new EpisodeStats();
        restored.Restore(120, 1, [true, true, true, false]);
        Assert.That(restored.SuccessRate, Is.EqualTo(0.75));

        Assert.That(restored.AtLevel(2), Is.True);
        Assert.That((restored.WindowCount, restored.Episodes), Is.EqualTo((0, 120L)));
    }

    [Test]
    public void A_checkpoint_from_before_windows_were_kept_restores_the_episode_count_alone()
    {
        var restored = new EpisodeStats();
        restored.Restore(42);

        Assert.That((restored.Episodes, restored.WindowCount, restored.WindowLevel), Is.EqualTo((42L, 0, (int?)null)));
    }

    [Test]
    public void A_restored_brain_reports_the_quiz_round_it_had_until_the_world_is_at_another_level()
    {
        var before = new EpisodeStats();
        before.AtLevel(1);
        before.Quiz.EpisodeEnded(endedQuiz: true, success: false, nextIsQuiz: false);

        var restored = new EpisodeStats();
        restored.Restore(80, before.WindowLevel, before.RecentErrands, before.Quiz.LatestPassed);
        Assert.That(restored.Quiz.LatestPassed, Is.False, "the round the restored weights failed");
        Assert.That(restored.AtLevel(1), Is.False);
        Assert.That(restored.Quiz.LatestPassed, Is.False, "the world is where the checkpoint was: the standing stays");

        var elsewhere = new EpisodeStats();
        elsewhere.Restore(80, 1, [], quizPassed: true);
        Assert.That(elsewhere.AtLevel(2), Is.True);
        Assert.That(elsewhere.Quiz.LatestPassed, Is.Null, "a round at another level says nothing of this one");
    }

    [Test]
    public void A_new_level_starts_the_quiz_standing_over_with_the_window()
    {
        var stats = new EpisodeStats();
        stats.AtLevel(0);
        stats.Quiz.EpisodeEnded(endedQuiz: true, success: true, nextIsQuiz: false);
        Assert.That(stats.Quiz.LatestPassed, Is.True);

        stats.AtLevel(1);

        Assert.That(stats.Quiz.LatestPassed, Is.Null);
    }
}
