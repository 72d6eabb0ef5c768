namespace Nimmerverse.Brains.Learning;

/// <summary>One step the brain lived through: state, move, reward, next state, whether the episode ended there.</summary>
public sealed record Transition(float[] State, int Action, float Reward, float[] Next, bool[] NextOpen, bool Done);

/// <summary>
/// A fixed-size ring of recent transitions, sampled uniformly: learning from a shuffled memory
/// instead of only the last step breaks the correlation between consecutive ticks (DQN's replay).
/// Observations are binary (one-hot, <see cref="ObservationEncoder"/>), so each is kept as bits:
/// a transition costs some 40 bytes instead of some 400 as objects, which is most of a lean
/// brain's memory once the ring is full.
/// </summary>
public sealed class ReplayBuffer
{
    private const int Moves = DqnLearner.Actions;

    private readonly int _capacity;
    private readonly int _inputs;
    private readonly int _words;
    private readonly ulong[] _states;
    private readonly ulong[] _nexts;
    private readonly byte[] _actions;
    private readonly float[] _rewards;

    // Bits 0-3: the next state's open moves; bit 4: the episode ended.
    private readonly byte[] _flags;
    private int _next;

    public ReplayBuffer(int capacity, int inputs)
    {
        _capacity = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity));
        _inputs = inputs;
        _words = (inputs + 63) / 64;
        (_states, _nexts) = (new ulong[capacity * _words], new ulong[capacity * _words]);
        (_actions, _rewards, _flags) = (new byte[capacity], new float[capacity], new byte[capacity]);
    }

    public int Count { get; private set; }

    /// <summary>Keeps <paramref name="transition"/>, over the oldest once full; refuses an observation that is not all zeros and ones.</summary>
    public void Add(Transition transition)
    {
        if (transition.State.Length != _inputs || transition.Next.Length != _inputs || transition.NextOpen.Length != Moves || transition.Action is < 0 or >= Moves)
        {
            throw new ArgumentException($"a transition of {_inputs} inputs and a move 0..{Moves - 1} expected", nameof(transition));
        }

        Pack(transition.State, _states.AsSpan(_next * _words, _words));
        Pack(transition.Next, _nexts.AsSpan(_next * _words, _words));
        _actions[_next] = (byte)transition.Action;
        _rewards[_next] = transition.Reward;
        var flags = transition.Done ? 1 << Moves : 0;
        for (var a = 0; a < Moves; a++)
        {
            flags |= transition.NextOpen[a] ? 1 << a : 0;
        }

        _flags[_next] = (byte)flags;
        _next = (_next + 1) % _capacity;
        Count = Math.Min(Count + 1, _capacity);
    }

    /// <summary>Writes a uniformly drawn transition into row <paramref name="row"/> of <paramref name="batch"/>.</summary>
    public void SampleInto(Random random, DqnBatch batch, int row)
    {
        var i = random.Next(Count);
        Unpack(_states.AsSpan(i * _words, _words), batch.States.AsSpan(row * _inputs, _inputs));
        Unpack(_nexts.AsSpan(i * _words, _words), batch.Nexts.AsSpan(row * _inputs, _inputs));
        batch.Actions[row] = _actions[i];
        batch.Rewards[row] = _rewards[i];
        var done = (_flags[i] & (1 << Moves)) != 0;
        batch.NotDone[row] = done ? 0 : 1;
        for (var a = 0; a < Moves; a++)
        {
            // A finished episode has no next move to value; any open one keeps argmax defined.
            batch.NextOpen[(row * Moves) + a] = done || (_flags[i] & (1 << a)) != 0;
        }
    }

    private static void Pack(ReadOnlySpan<float> values, Span<ulong> bits)
    {
        bits.Clear();
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] == 1)
            {
                bits[i / 64] |= 1UL << (i % 64);
            }
            else if (values[i] != 0)
            {
                throw new ArgumentException($"the replay memory keeps binary observations; input {i} is {values[i]}", nameof(values));
            }
        }
    }

    private static void Unpack(ReadOnlySpan<ulong> bits, Span<float> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (bits[i / 64] >> (i % 64)) & 1;
        }
    }
}
