using System.Diagnostics;
using Nimmerverse.Protocol;

namespace Nimmerverse.Brains.Runtime;

/// <summary>
/// What the state message reports about learning: the success rate over the last
/// <see cref="Window"/> episodes at the current level, the reward per second over the last ten
/// seconds, and a smoothed loss.
/// </summary>
public sealed class EpisodeStats
{
    public const int Window = NpcStateBody.SuccessWindow;

    private static readonly TimeSpan RewardWindow = TimeSpan.FromSeconds(10);

    private readonly Queue<bool> _outcomes = new();
    private readonly Queue<(long At, double Reward)> _rewards = new();
    private readonly long _started = Stopwatch.GetTimestamp();
    private double _rewardSum;

    public long Episodes { get; private set; }

    public double Loss { get; private set; }

    public double SuccessRate => _outcomes.Count == 0 ? 0 : (double)_outcomes.Count(o => o) / _outcomes.Count;

    /// <summary>Episodes in the success window so far (fewer than <see cref="Window"/> after a start).</summary>
    public int WindowCount => _outcomes.Count;

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
    /// The world moved to another level: the success window starts empty, so that the rate says how the
    /// brain does there rather than falling, errand by errand, from what it had reached on the last one
    /// (a fall that would be charged to whoever ran the most errands after the level-up).
    /// </summary>
    public void LevelChanged() => _outcomes.Clear();

    /// <summary>Carries the episode count over from a checkpoint; the success window starts empty, so it shows what the restored weights do now.</summary>
    public void Restore(long episodes) => Episodes = episodes;

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
