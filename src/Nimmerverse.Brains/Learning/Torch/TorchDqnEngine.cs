using TorchSharp;
using static TorchSharp.torch;

namespace Nimmerverse.Brains.Learning.Torch;

/// <summary>
/// The engine on TorchSharp and LibTorch: for roles larger than the lean engine suits and for a
/// host with a GPU (<c>--engine torch</c>). It starts from the layout's initial weights, so a
/// seed gives the same brain as on the lean engine.
/// </summary>
public sealed class TorchDqnEngine : IDqnEngine
{
    private readonly NetworkLayout _layout;
    private readonly QNetwork _online;
    private readonly QNetwork _target;
    private readonly optim.Optimizer _optimizer;
    private readonly long[] _actions;

    static TorchDqnEngine() => Initialise();

    public TorchDqnEngine(NetworkLayout layout, ReadOnlySpan<float> initialWeights, double learningRate, int batchSize)
    {
        _layout = layout;
        _online = new QNetwork(layout.Inputs, layout.Hidden, layout.Outputs);
        _target = new QNetwork(layout.Inputs, layout.Hidden, layout.Outputs);
        WriteParameters(initialWeights);
        SyncTarget();
        _target.eval();
        _optimizer = optim.Adam(_online.parameters(), learningRate);
        _actions = new long[batchSize];
    }

    /// <summary>
    /// Loads LibTorch, for one intra-op and one inter-op thread: a hundred brains share a host's
    /// cores. Throws <see cref="TypeInitializationException"/> or <see cref="DllNotFoundException"/>
    /// when LibTorch does not load.
    /// </summary>
    public static void Initialise()
    {
        if (torch.get_num_threads() != 1)
        {
            torch.set_num_threads(1);
            torch.set_num_interop_threads(1);
        }
    }

    public void Values(ReadOnlySpan<float> state, Span<float> values)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        _online.forward(torch.tensor(state.ToArray(), [1, _layout.Inputs])).data<float>().CopyTo(values);
    }

    public float Train(DqnBatch batch, float gamma, float maxGradientNorm)
    {
        var size = batch.Size;
        for (var i = 0; i < size; i++)
        {
            _actions[i] = batch.Actions[i];
        }

        using var scope = torch.NewDisposeScope();
        var states = torch.tensor(batch.States, [size, _layout.Inputs]);
        var nexts = torch.tensor(batch.Nexts, [size, _layout.Inputs]);
        var actions = torch.tensor(_actions, [size, 1]);
        var rewards = torch.tensor(batch.Rewards, [size]);
        var notDone = torch.tensor(batch.NotDone, [size]);
        var nextOpen = torch.tensor(batch.NextOpen, [size, _layout.Outputs]);

        Tensor targets;
        // Explicit Scalars, disposed when the step returns: an implicit one is freed only by its finalizer,
        // which can run while LibTorch still reads it.
        using (torch.no_grad())
        using (var closed = float.NegativeInfinity.ToScalar())
        using (var discount = gamma.ToScalar())
        {
            var nextChoice = _online.forward(nexts).masked_fill(nextOpen.logical_not(), closed).argmax(1, keepdim: true);
            var nextValue = _target.forward(nexts).gather(1, nextChoice).squeeze(1);
            targets = rewards + (discount * nextValue * notDone);
        }

        var predicted = _online.forward(states).gather(1, actions).squeeze(1);
        var loss = nn.functional.smooth_l1_loss(predicted, targets);
        _optimizer.zero_grad();
        loss.backward();
        nn.utils.clip_grad_norm_(_online.parameters(), maxGradientNorm);
        _optimizer.step();
        return loss.item<float>();
    }

    public void SyncTarget() => _target.load_state_dict(_online.state_dict());

    public void ReadParameters(Span<float> parameters) => Copy(_online.parameters().Select(p => p), parameters);

    public void WriteParameters(ReadOnlySpan<float> parameters)
    {
        using var noGrad = torch.no_grad();
        var offset = 0;
        foreach (var parameter in _online.parameters())
        {
            var count = (int)parameter.numel();
            parameter.copy_(torch.tensor(parameters.Slice(offset, count).ToArray(), parameter.shape));
            offset += count;
        }
    }

    public void ReadGradients(Span<float> gradients) => Copy(_online.parameters().Select(p => p.grad ?? torch.zeros_like(p)), gradients);

    public void Dispose()
    {
        _optimizer.Dispose();
        _online.Dispose();
        _target.Dispose();
    }

    private static void Copy(IEnumerable<Tensor> tensors, Span<float> into)
    {
        var offset = 0;
        foreach (var tensor in tensors)
        {
            var values = tensor.detach().contiguous().data<float>();
            values.CopyTo(into.Slice(offset, (int)values.Count));
            offset += (int)values.Count;
        }
    }
}
