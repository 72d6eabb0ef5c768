namespace Nimmerverse.Brains.Learning;

/// <summary>One step the brain lived through: state, move, reward, next state, whether the episode ended there.</summary>
public sealed record Transition(float[] State, int Action, float Reward, float[] Next, bool[] NextOpen, bool Done);

/// <summary>
/// A fixed-size ring of recent transitions, sampled uniformly: learning from a shuffled memory
/// instead of only the last step breaks the correlation between consecutive ticks (DQN's replay).
/// </summary>
public sealed class ReplayBuffer(int capacity)
{
    private readonly Transition[] _items = new Transition[capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity))];
    private int _next;

    public int Count { get; private set; }

    public void Add(Transition transition)
    {
        _items[_next] = transition;
        _next = (_next + 1) % _items.Length;
        Count = Math.Min(Count + 1, _items.Length);
    }

    public Transition Sample(Random random) => _items[random.Next(Count)];
}
