namespace Nimmerverse.Brains.Learning;

/// <summary>
/// A batch of transitions laid out for a gradient step; <see cref="DqnLearner"/> fills it, an
/// engine reads it. Allocated once per learner.
/// </summary>
public sealed class DqnBatch(int size, int inputs, int actions)
{
    public int Size { get; } = size;

    /// <summary><c>Size</c> rows of <c>inputs</c> floats.</summary>
    public float[] States { get; } = new float[size * inputs];

    public float[] Nexts { get; } = new float[size * inputs];

    public int[] Actions { get; } = new int[size];

    public float[] Rewards { get; } = new float[size];

    /// <summary>0 where the episode ended (nothing to bootstrap from), else 1.</summary>
    public float[] NotDone { get; } = new float[size];

    /// <summary><c>Size</c> rows of one flag per move: may the next state's value be taken through it.</summary>
    public bool[] NextOpen { get; } = new bool[size * actions];
}

/// <summary>
/// What runs the networks of a <see cref="DqnLearner"/>: an online and a target network of one
/// <see cref="NetworkLayout"/> and Adam on the online one. The algorithm (replay, exploration,
/// when to train and to sync) is the learner's; an engine only computes.
/// </summary>
public interface IDqnEngine : IDisposable
{
    /// <summary>The online network's value of each move in <paramref name="state"/>.</summary>
    void Values(ReadOnlySpan<float> state, Span<float> values);

    /// <summary>
    /// One gradient step of Double DQN: the online network picks each next move among the open ones,
    /// the target network values it; the smooth L1 loss (β = 1, mean) of the taken moves' values is
    /// back-propagated, the gradient clipped to a norm of <paramref name="maxGradientNorm"/>, and Adam
    /// steps. Returns the loss before the step.
    /// </summary>
    float Train(DqnBatch batch, float gamma, float maxGradientNorm);

    /// <summary>Copies the online network into the target network.</summary>
    void SyncTarget();

    /// <summary>The online network's parameters, in <see cref="NetworkLayout"/> order.</summary>
    void ReadParameters(Span<float> parameters);

    /// <summary>Replaces the online network's parameters (the target network is left as it is).</summary>
    void WriteParameters(ReadOnlySpan<float> parameters);

    /// <summary>The gradient of the last <see cref="Train"/> (after clipping), in <see cref="NetworkLayout"/> order.</summary>
    void ReadGradients(Span<float> gradients);
}
