using Nimmerverse.Brains.Runtime;
using Nimmerverse.Testing;

namespace Nimmerverse.Brains.Tests.Runtime;

/// <summary>The quiz round the state message reports: passed when every quiz episode of the round found its home.</summary>
[Category(TestTier.Unit)]
public sealed class QuizRoundsTests
{
    [Test]
    public void A_round_is_known_only_once_the_first_training_episode_after_it_starts()
    {
        var quiz = new QuizRounds();
        quiz.EpisodeEnded(endedQuiz: false, success: true, nextIsQuiz: true);
        quiz.EpisodeEnded(endedQuiz: true, success: true, nextIsQuiz: true);
        Assert.That(quiz.LatestPassed, Is.Null, "the round is not over");

        quiz.EpisodeEnded(endedQuiz: true, success: true, nextIsQuiz: false);

        Assert.That(quiz.LatestPassed, Is.True);
    }

    [Test]
    public void One_home_not_found_fails_the_round_and_the_next_round_is_judged_afresh()
    {
        var quiz = new QuizRounds();
        quiz.EpisodeEnded(endedQuiz: false, success: true, nextIsQuiz: true);
        quiz.EpisodeEnded(endedQuiz: true, success: true, nextIsQuiz: true);
        quiz.EpisodeEnded(endedQuiz: true, success: false, nextIsQuiz: true);
        quiz.EpisodeEnded(endedQuiz: true, success: true, nextIsQuiz: false);
        Assert.That(quiz.LatestPassed, Is.False);

        quiz.EpisodeEnded(endedQuiz: false, success: false, nextIsQuiz: false);
        Assert.That(quiz.LatestPassed, Is.False, "training episodes leave the latest round as it was");
        quiz.EpisodeEnded(endedQuiz: false, success: true, nextIsQuiz: true);
        quiz.EpisodeEnded(endedQuiz: true, success: true, nextIsQuiz: false);
        Assert.That(quiz.LatestPassed, Is.True);
    }

    [Test]
    public void A_new_level_starts_the_standings_over_even_in_the_middle_of_a_round()
    {
        var quiz = new QuizRounds();
        quiz.EpisodeEnded(endedQuiz: true, success: true, nextIsQuiz: false);
        quiz.EpisodeEnded(endedQuiz: true, success: false, nextIsQuiz: true);
        Assert.That(quiz.LatestPassed, Is.True);

        quiz.StartOver();
        Assert.That(quiz.LatestPassed, Is.Null);
        quiz.EpisodeEnded(endedQuiz: true, success: true, nextIsQuiz: false);

        Assert.That(quiz.LatestPassed, Is.True, "the failed answer of level 0's unfinished round is not counted");
    }
}
