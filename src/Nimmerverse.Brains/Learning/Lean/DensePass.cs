using System.Numerics.Tensors;

namespace Nimmerverse.Brains.Learning.Lean;

/// <summary>
/// Forward and backward passes of a <see cref="NetworkLayout"/> over a batch of up to
/// <c>rows</c> inputs, with every buffer allocated once: a pass allocates nothing. The engine keeps
/// each layer's weights input-major (<see cref="InputMajor"/>), so an output row is built from one
/// SIMD multiply-add (<see cref="TensorPrimitives"/>) per non-zero input: observations are one-hot
/// and ReLU silences about half of each hidden layer, so most of the work is skipped, not done.
/// </summary>
internal sealed class DensePass
{
    /// <summary>Shorter rows than this are looped over directly: a SIMD call costs more than it saves.</summary>
    private const int ShortRow = 16;

    private readonly NetworkLayout _layout;
    private readonly int _rows;

    // _outputs[l]: layer l's output, after ReLU for the hidden layers; _deltas[l]: the loss's
    // gradient with respect to layer l's output (before its ReLU).
    private readonly float[][] _outputs;
    private readonly float[][] _deltas;
    private float[] _input = [];

    public DensePass(NetworkLayout layout, int rows)
    {
        (_layout, _rows) = (layout, rows);
        _outputs = layout.Layers.Select(l => new float[rows * l.Out]).ToArray();
        _deltas = layout.Layers.Select(l => new float[rows * l.Out]).ToArray();
    }

    /// <summary>The last layer's gradient buffer, <c>rows</c> × outputs: the caller writes the loss's gradient here before <see cref="Backward"/>.</summary>
    public Span<float> OutputGradient => _deltas[^1];

    /// <summary>
    /// Reorders each layer's weights between the checkpoint's order (one row of inputs per output)
    /// and the engine's (one row of outputs per input); biases stay. Its own inverse when
    /// <paramref name="toInputMajor"/> is flipped.
    /// </summary>
    public static void InputMajor(NetworkLayout layout, ReadOnlySpan<float> from, Span<float> to, bool toInputMajor)
    {
        foreach (var layer in layout.Layers)
        {
            var (rows, columns) = toInputMajor ? (layer.Out, layer.In) : (layer.In, layer.Out);
            for (var r = 0; r < rows; r++)
            {
                for (var c = 0; c < columns; c++)
                {
                    to[layer.WeightOffset + (c * rows) + r] = from[layer.WeightOffset + (r * columns) + c];
                }
            }

            from[layer.BiasOffset..layer.End].CopyTo(to[layer.BiasOffset..layer.End]);
        }
    }

    /// <summary>Runs <paramref name="input"/> (<c>rows</c> × inputs) through the network (input-major parameters); returns <c>rows</c> × outputs values, valid until the next pass.</summary>
    public ReadOnlySpan<float> Forward(ReadOnlySpan<float> parameters, float[] input)
    {
        _input = input;
        ReadOnlySpan<float> x = input;
        for (var l = 0; l < _layout.Layers.Count; l++)
        {
            var layer = _layout.Layers[l];
            var weights = parameters[layer.WeightOffset..layer.BiasOffset];
            var biases = parameters[layer.BiasOffset..layer.End];
            var output = _outputs[l].AsSpan();
            for (var r = 0; r < _rows; r++)
            {
                var row = x.Slice(r * layer.In, layer.In);
                var y = output.Slice(r * layer.Out, layer.Out);
                biases.CopyTo(y);
                for (var i = 0; i < layer.In; i++)
                {
                    if (row[i] != 0)
                    {
                        MultiplyAdd(weights.Slice(i * layer.Out, layer.Out), row[i], y);
                    }
                }
            }

            if (l < _layout.Layers.Count - 1)
            {
                TensorPrimitives.Max(output, 0f, output);
            }

            x = output;
        }

        return x;
    }

    /// <summary>
    /// Adds the gradient of the loss with respect to every parameter (input-major) to
    /// <paramref name="gradients"/>, for the last <see cref="Forward"/> and the gradient written to
    /// <see cref="OutputGradient"/>. Zero inputs, silent units and zero gradients are skipped.
    /// </summary>
    public void Backward(ReadOnlySpan<float> parameters, Span<float> gradients)
    {
        for (var l = _layout.Layers.Count - 1; l >= 0; l--)
        {
            var layer = _layout.Layers[l];
            ReadOnlySpan<float> below = l == 0 ? _input : _outputs[l - 1];
            var delta = _deltas[l].AsSpan();
            var weights = parameters[layer.WeightOffset..layer.BiasOffset];
            var weightGradients = gradients[layer.WeightOffset..layer.BiasOffset];
            var biasGradients = gradients[layer.BiasOffset..layer.End];
            var belowDelta = l == 0 ? [] : _deltas[l - 1].AsSpan();
            for (var r = 0; r < _rows; r++)
            {
                var x = below.Slice(r * layer.In, layer.In);
                var d = delta.Slice(r * layer.Out, layer.Out);
                var xDelta = l == 0 ? [] : belowDelta.Slice(r * layer.In, layer.In);
                xDelta.Clear();
                if (!d.ContainsAnyExcept(0f))
                {
                    continue;
                }

                TensorPrimitives.Add(biasGradients, d, biasGradients);
                for (var i = 0; i < layer.In; i++)
                {
                    if (x[i] == 0)
                    {
                        // No gradient for these weights, and (below a ReLU) none through this unit.
                        continue;
                    }

                    MultiplyAdd(d, x[i], weightGradients.Slice(i * layer.Out, layer.Out));
                    if (l > 0 && x[i] > 0)
                    {
                        xDelta[i] = Dot(weights.Slice(i * layer.Out, layer.Out), d);
                    }
                }
            }
        }
    }

    /// <summary><paramref name="y"/> += <paramref name="a"/> × <paramref name="x"/>.</summary>
    private static void MultiplyAdd(ReadOnlySpan<float> x, float a, Span<float> y)
    {
        if (x.Length < ShortRow)
        {
            for (var i = 0; i < x.Length; i++)
            {
                y[i] += a * x[i];
            }
        }
        else
        {
            TensorPrimitives.MultiplyAdd(x, a, y, y);
        }
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length >= ShortRow)
        {
            return TensorPrimitives.Dot(a, b);
        }

        var sum = 0f;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }
}
