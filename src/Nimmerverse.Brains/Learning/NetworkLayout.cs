namespace Nimmerverse.Brains.Learning;

/// <summary>One dense layer's place in a flat parameter vector: its weights (<c>Out</c> rows of <c>In</c>), then its biases.</summary>
/// <param name="Name">The layer's name in a checkpoint (<c>linear0</c>, ..., <c>values</c>).</param>
/// <param name="In">Inputs of the layer.</param>
/// <param name="Out">Outputs of the layer.</param>
/// <param name="WeightOffset">Where its weights begin in the parameter vector.</param>
public sealed record DenseLayer(string Name, int In, int Out, int WeightOffset)
{
    public int BiasOffset => WeightOffset + (In * Out);

    public int End => BiasOffset + Out;
}

/// <summary>
/// The policy network every engine runs: a multilayer perceptron from the encoded observation
/// through the role's hidden layers (each followed by ReLU) to one value per move. Its parameters
/// are kept as one flat vector, layer by layer, weights (row-major, one row per output) before
/// biases: the order and shapes of the checkpoint, so weights move between engines unchanged.
/// </summary>
public sealed class NetworkLayout
{
    public NetworkLayout(int inputs, IReadOnlyList<int> hidden, int outputs)
    {
        (Inputs, Hidden, Outputs) = (inputs, hidden, outputs);
        var layers = new List<DenseLayer>();
        var (width, offset) = (inputs, 0);
        foreach (var (name, next) in hidden.Select((h, i) => ($"linear{i}", h)).Append(("values", outputs)))
        {
            layers.Add(new DenseLayer(name, width, next, offset));
            (width, offset) = (next, layers[^1].End);
        }

        Layers = layers;
        ParameterCount = offset;
        Format = $"torchsharp-dqn/{inputs}x{string.Join('x', hidden)}x{outputs}";
    }

    public int Inputs { get; }

    public IReadOnlyList<int> Hidden { get; }

    public int Outputs { get; }

    public IReadOnlyList<DenseLayer> Layers { get; }

    public int ParameterCount { get; }

    /// <summary>
    /// Names the layout in a checkpoint; a checkpoint of another layout is not loaded. The prefix
    /// names the byte format (<see cref="CheckpointWeights"/>), which every engine reads and writes.
    /// </summary>
    public string Format { get; }

    /// <summary>
    /// Fresh weights for <paramref name="seed"/>: each layer's weights and biases uniform in
    /// ±1/√fan-in, the distribution of PyTorch's <c>nn.Linear</c>. Every engine starts from these,
    /// so one seed gives one brain whichever engine runs it.
    /// </summary>
    public float[] InitialWeights(int seed)
    {
        var random = new Random(seed);
        var weights = new float[ParameterCount];
        foreach (var layer in Layers)
        {
            var bound = 1 / Math.Sqrt(layer.In);
            for (var i = layer.WeightOffset; i < layer.End; i++)
            {
                weights[i] = (float)(((2 * random.NextDouble()) - 1) * bound);
            }
        }

        return weights;
    }
}
