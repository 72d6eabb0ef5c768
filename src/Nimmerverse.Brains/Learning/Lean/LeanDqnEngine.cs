using System.Numerics.Tensors;

namespace Nimmerverse.Brains.Learning.Lean;

/// <summary>
/// The default engine: the networks, Double DQN's loss and Adam in managed code on
/// <see cref="TensorPrimitives"/>. No native library is loaded, a tick allocates nothing, and a
/// brain costs the .NET runtime plus its replay memory, where LibTorch costs tens of megabytes
/// more (bench/README.md, "Density"). Computes what <c>TorchDqnEngine</c> does, to float rounding.
/// </summary>
public sealed class LeanDqnEngine : IDqnEngine
{
    private readonly NetworkLayout _layout;
    private readonly float[] _online;
    private readonly float[] _target;
    private readonly float[] _gradients;
    private readonly Adam _adam;
    private readonly DensePass _one;
    private readonly DensePass _batch;
    private readonly float[] _state;
    private readonly int[] _nextChoice;

    public LeanDqnEngine(NetworkLayout layout, ReadOnlySpan<float> initialWeights, double learningRate, int batchSize)
    {
        _layout = layout;
        _online = new float[layout.ParameterCount];
        DensePass.InputMajor(layout, initialWeights, _online, toInputMajor: true);
        _target = [.. _online];
        _gradients = new float[layout.ParameterCount];
        _adam = new Adam(layout.ParameterCount, learningRate);
        _one = new DensePass(layout, 1);
        _batch = new DensePass(layout, batchSize);
        _state = new float[layout.Inputs];
        _nextChoice = new int[batchSize];
    }

    public void Values(ReadOnlySpan<float> state, Span<float> values)
    {
        state.CopyTo(_state);
        _one.Forward(_online, _state).CopyTo(values);
    }

    public float Train(DqnBatch batch, float gamma, float maxGradientNorm)
    {
        var actions = _layout.Outputs;
        var nextOnline = _batch.Forward(_online, batch.Nexts);
        for (var r = 0; r < batch.Size; r++)
        {
            _nextChoice[r] = BestOpen(nextOnline.Slice(r * actions, actions), batch.NextOpen.AsSpan(r * actions, actions));
        }

        var nextTarget = _batch.Forward(_target, batch.Nexts);
        Span<float> targets = stackalloc float[batch.Size];
        for (var r = 0; r < batch.Size; r++)
        {
            targets[r] = batch.Rewards[r] + (gamma * nextTarget[(r * actions) + _nextChoice[r]] * batch.NotDone[r]);
        }

        var predicted = _batch.Forward(_online, batch.States);
        var outputGradient = _batch.OutputGradient;
        outputGradient.Clear();
        var loss = 0.0;
        for (var r = 0; r < batch.Size; r++)
        {
            var index = (r * actions) + batch.Actions[r];
            var error = predicted[index] - targets[r];
            // Smooth L1 (Huber, β = 1), averaged over the batch.
            loss += Math.Abs(error) < 1 ? 0.5 * error * error : Math.Abs(error) - 0.5;
            outputGradient[index] = Math.Clamp(error, -1, 1) / batch.Size;
        }

        Array.Clear(_gradients);
        _batch.Backward(_online, _gradients);
        var norm = TensorPrimitives.Norm<float>(_gradients);
        var scale = maxGradientNorm / (norm + 1e-6f);
        if (scale < 1)
        {
            TensorPrimitives.Multiply(_gradients, scale, _gradients);
        }

        _adam.Step(_online, _gradients);
        return (float)(loss / batch.Size);
    }

    public void SyncTarget() => _online.CopyTo(_target, 0);

    public void ReadParameters(Span<float> parameters) => DensePass.InputMajor(_layout, _online, parameters, toInputMajor: false);

    public void WriteParameters(ReadOnlySpan<float> parameters) => DensePass.InputMajor(_layout, parameters, _online, toInputMajor: true);

    public void ReadGradients(Span<float> gradients) => DensePass.InputMajor(_layout, _gradients, gradients, toInputMajor: false);

    public void Dispose()
    {
        // Managed memory only.
    }

    /// <summary>The best valued open move; the first of equals, as <c>argmax</c> picks.</summary>
    internal static int BestOpen(ReadOnlySpan<float> values, ReadOnlySpan<bool> open)
    {
        var best = -1;
        for (var a = 0; a < values.Length; a++)
        {
            if (open[a] && (best < 0 || values[a] > values[best]))
            {
                best = a;
            }
        }

        return best;
    }
}
