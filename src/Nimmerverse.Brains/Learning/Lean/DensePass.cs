using System.Numerics.Tensors;

namespace Nimmerverse.Brains.Learning.Lean;

/// <summary>
/// Forward and backward passes of a <see cref="NetworkLayout"/> over a batch of up to
/// <c>rows</c> inputs, with every buffer allocated once: a pass allocates nothing. Each output is
/// one SIMD dot product of a weight row with an input row (<see cref="TensorPrimitives"/>); the
/// networks are small enough (a few thousand to a hundred thousand weights) that this beats
/// calling out to a BLAS, and keeps the process free of native libraries.
/// </summary>
internal sealed class DensePass
{
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

    /// <summary>Runs <paramref name="input"/> (<c>rows</c> × inputs) through the network; returns <c>rows</c> × outputs values, valid until the next pass.</summary>
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
                for (var o = 0; o < layer.Out; o++)
                {
                    y[o] = TensorPrimitives.Dot(weights.Slice(o * layer.In, layer.In), row) + biases[o];
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
    /// Adds the gradient of the loss with respect to every parameter to <paramref name="gradients"/>,
    /// for the last <see cref="Forward"/> and the gradient written to <see cref="OutputGradient"/>.
    /// Zero gradients (most of them: one move per row is taken, ReLU stops many) are skipped.
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
            belowDelta.Clear();
            for (var r = 0; r < _rows; r++)
            {
                var x = below.Slice(r * layer.In, layer.In);
                var xDelta = l == 0 ? [] : belowDelta.Slice(r * layer.In, layer.In);
                for (var o = 0; o < layer.Out; o++)
                {
                    var d = delta[(r * layer.Out) + o];
                    if (d == 0)
                    {
                        continue;
                    }

                    var gradientRow = weightGradients.Slice(o * layer.In, layer.In);
                    TensorPrimitives.MultiplyAdd(x, d, gradientRow, gradientRow);
                    biasGradients[o] += d;
                    if (l > 0)
                    {
                        TensorPrimitives.MultiplyAdd(weights.Slice(o * layer.In, layer.In), d, xDelta, xDelta);
                    }
                }
            }

            // Through the ReLU below: no gradient where it was not active.
            for (var i = 0; i < belowDelta.Length; i++)
            {
                if (below[i] <= 0)
                {
                    belowDelta[i] = 0;
                }
            }
        }
    }
}
