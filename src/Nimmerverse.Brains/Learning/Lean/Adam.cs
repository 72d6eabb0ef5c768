using System.Numerics.Tensors;

namespace Nimmerverse.Brains.Learning.Lean;

/// <summary>
/// Adam (Kingma and Ba, 2015) over one flat parameter vector, as PyTorch defines it (β₁ 0.9,
/// β₂ 0.999, ε 1e-8 added after the bias-corrected square root, no weight decay).
/// </summary>
internal sealed class Adam(int parameters, double learningRate)
{
    private const double Beta1 = 0.9, Beta2 = 0.999;
    private const float Epsilon = 1e-8f;

    private readonly float[] _mean = new float[parameters];
    private readonly float[] _square = new float[parameters];
    private readonly float[] _scratch = new float[parameters];
    private long _step;

    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        _step++;
        var correction1 = 1 - Math.Pow(Beta1, _step);
        var correction2 = 1 - Math.Pow(Beta2, _step);

        TensorPrimitives.Multiply(_mean, (float)Beta1, _mean);
        TensorPrimitives.MultiplyAdd(gradients, (float)(1 - Beta1), _mean, _mean);
        TensorPrimitives.Multiply(_square, (float)Beta2, _square);
        TensorPrimitives.Multiply(gradients, gradients, _scratch);
        TensorPrimitives.MultiplyAdd(_scratch, (float)(1 - Beta2), _square, _square);

        // parameters -= lr / correction1 * mean / (sqrt(square) / sqrt(correction2) + eps)
        TensorPrimitives.Sqrt(_square, _scratch);
        TensorPrimitives.Multiply(_scratch, (float)(1 / Math.Sqrt(correction2)), _scratch);
        TensorPrimitives.Add(_scratch, Epsilon, _scratch);
        TensorPrimitives.Divide(_mean, _scratch, _scratch);
        TensorPrimitives.MultiplyAdd(_scratch, (float)(-learningRate / correction1), parameters, parameters);
    }
}
