using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nimmerverse.Brains.Learning.Torch;

/// <summary>A multilayer perceptron from an encoded observation to one value per move.</summary>
public sealed class QNetwork : nn.Module<Tensor, Tensor>
{
    private readonly Sequential _layers;

    public QNetwork(int inputs, IReadOnlyList<int> hidden, int outputs)
        : base("q_network")
    {
        var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
        var width = inputs;
        for (var i = 0; i < hidden.Count; i++)
        {
            modules.Add(($"linear{i}", nn.Linear(width, hidden[i])));
            modules.Add(($"relu{i}", nn.ReLU()));
            width = hidden[i];
        }

        modules.Add(("values", nn.Linear(width, outputs)));
        _layers = nn.Sequential(modules);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => _layers.forward(input);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _layers.Dispose();
        }

        base.Dispose(disposing);
    }
}
