namespace Nimmerverse.Brains.Runtime;

/// <summary>
/// The brain's own record of its quiz. The world examines a citizen with one quiz episode per home of its
/// village, in a row; the round ends with the first training episode after them, and the citizen has passed
/// when it found every home. The world levels up only when every citizen has passed its latest round, so a
/// brain that has passed adds nothing to the next level-up until its next round: the governor needs to know.
/// </summary>
public sealed class QuizRounds
{
    private int _found;
    private int _asked;

    /// <summary>Whether the latest round this brain took at the current level found every home (this process's, or its checkpoint's); null: none yet.</summary>
    public bool? LatestPassed { get; private set; }

    /// <param name="endedQuiz">Whether the episode that ended was a quiz episode.</param>
    /// <param name="success">Whether it reached its goal.</param>
    /// <param name="nextIsQuiz">Whether the episode the world started after it is one.</param>
    public void EpisodeEnded(bool endedQuiz, bool success, bool nextIsQuiz)
    {
        if (endedQuiz)
        {
            _asked++;
            _found += success ? 1 : 0;
        }

        if (!nextIsQuiz && _asked > 0)
        {
            LatestPassed = _found == _asked;
            (_found, _asked) = (0, 0);
        }
    }

    /// <summary>A checkpoint's latest round at the level it was at (<see cref="EpisodeStats.Restore"/>): the standing the restored weights earned.</summary>
    public void Restore(bool? latestPassed) => (_found, _asked, LatestPassed) = (0, 0, latestPassed);

    /// <summary>A new level: the standings start over, as the world's do (<see cref="EpisodeStats.AtLevel"/> knows when).</summary>
    public void StartOver() => (_found, _asked, LatestPassed) = (0, 0, null);
}
