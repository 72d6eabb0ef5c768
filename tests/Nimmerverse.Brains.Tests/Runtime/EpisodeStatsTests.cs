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

        stats.LevelChanged();
        Assert.That((stats.WindowCount, stats.SuccessRate, stats.Episodes), Is.EqualTo((0, 0.0, 50L)));

        stats.EpisodeEnded(false);
        stats.EpisodeEnded(true);
        Assert.That((stats.WindowCount, stats.SuccessRate, stats.Episodes), Is.EqualTo((2, 0.5, 52L)), "the old level's successes are not in it");
    }
}
