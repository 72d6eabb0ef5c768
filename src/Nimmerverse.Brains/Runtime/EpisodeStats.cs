using System.Diagnostics;
using Nimmerverse.Protocol;

namespace Nimmerverse.Brains.Runtime;

/// <summary>
/// What the state message reports about learning: the success rate over the last
/// <see cref="Window"/> episodes at the current level, the latest quiz round there, the reward per
/// second over the last ten seconds, and a smoothed loss.
/// </summary>
public sealed class EpisodeStats
{
    public const int Window = NpcStateBody.SuccessWindow;

    private static readonly TimeSpan RewardWindow = TimeSpan.FromSeconds(10);

    private Queue<bool> _outcomes = new();
    private readonly Queue<(long At, double Reward)> _rewards = new();
    private readonly long _started = Stopwatch.GetTimestamp();
    private double _rewardSum;
    private int? _windowLevel;

    public long Episodes { get; private set; }

    /// <summary>The brain's latest quiz round, started over with the success window at each new level.</summary>
    public QuizRounds Quiz { get; } = new();

    public double Loss { get; private set; }

    public double SuccessRate => _outcomes.Count == 0 ? 0 : (double)_outcomes.Count(o => o) / _outcomes.Count;

    /// <summary>Episodes in the success window so far (fewer than <see cref="Window"/> after a start).</summary>
    public int WindowCount => _outcomes.Count;

    /// <summary>The level the success window is at: null until the world has said (or a checkpoint).</summary>
    public int? WindowLevel => _windowLevel;

    /// <summary>The window's outcomes, oldest first: what a checkpoint keeps of it.</summary>
    public bool[] RecentErrands => [.. _outcomes];

    public void Reward(double reward)
    {
        var now = Stopwatch.GetTimestamp();
        _rewards.Enqueue((now, reward));
        _rewardSum += reward;
        Trim(now);
    }

    public void EpisodeEnded(bool success)
    {
        Episodes++;
        _outcomes.Enqueue(success);
        if (_outcomes.Count > Window)
        {
            _outcomes.Dequeue();
        }
    }

    /// <summary>
    /// The world's level, as each step's answer tells it. Returns whether it is another than the window's:
    /// then the success window starts empty, so that the rate says how the brain does there rather than
    /// falling, errand by errand, from what it had reached on the last one (a fall that would be charged
    /// to whoever ran the most errands after the level-up).
    /// </summary>
    public bool AtLevel(int level)
    {
        var moved = _windowLevel is { } at && at != level;
        if (moved)
        {
            _outcomes.Clear();
            Quiz.StartOver();
        }

        _windowLevel = level;
        return moved;
    }

    /// <summary>
    /// Carries the episode count over from a checkpoint, and its success window and latest quiz round at its level
    /// when it kept them: the weights restored are the ones that earned them. Started empty, the rate would climb back
    /// from nothing as the window refilled, and read as learning the brain never did; the quiz would read as none until
    /// the next round. Should the world be at another level by now, the first step's <see cref="AtLevel"/> empties both.
    /// </summary>
    public void Restore(long episodes, int? level = null, IReadOnlyList<bool>? recentErrands = null, bool? quizPassed = null)
    {
        Episodes = episodes;
        if (level is null)
        {
            return;
        }

        _windowLevel = level;
        if (recentErrands is not null)
        {
            // A new queue, swapped in whole: the restore runs beside the ticks that publish the rate.
            _outcomes = new Queue<bool>(recentErrands.Skip(Math.Max(recentErrands.Count - Window, 0)));
        }

        Quiz.Restore(quizPassed);
    }

    public void Learned(double loss) => Loss = Loss == 0 ? loss : (0.95 * Loss) + (0.05 * loss);

    public double RewardRate()
    {
        var now = Stopwatch.GetTimestamp();
        Trim(now);
        var seconds = Math.Min(RewardWindow.TotalSeconds, Stopwatch.GetElapsedTime(_started, now).TotalSeconds);
        return seconds > 0 ? _rewardSum / seconds : 0;
    }

    private void Trim(long now)
    {
        while (_rewards.TryPeek(out var oldest) && Stopwatch.GetElapsedTime(oldest.At, now) > RewardWindow)
        {
            _rewardSum -= _rewards.Dequeue().Reward;
        }
    }
}
