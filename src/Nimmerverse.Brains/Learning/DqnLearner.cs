using System.Runtime.CompilerServices;
using Nimmerverse.Brains.Learning.Lean;
using Nimmerverse.Brains.Learning.Torch;
using Nimmerverse.Protocol;

namespace Nimmerverse.Brains.Learning;

/// <summary>The learner's constants. The defaults learn the 5x5 arena in about a thousand steps.</summary>
/// <param name="Gamma">Discount per step; episodes last a few to a few dozen steps.</param>
/// <param name="LearningRate">Adam's step size.</param>
/// <param name="BatchSize">Transitions per gradient step (one step per tick).</param>
/// <param name="LearnAfter">Transitions in memory before the first gradient step.</param>
/// <param name="TargetSyncEvery">Gradient steps between copies of the online network into the target network.</param>
/// <param name="EpsilonStart">Share of random moves at birth.</param>
/// <param name="EpsilonEnd">Share of random moves once grown up: exploration never stops entirely.</param>
/// <param name="EpsilonDecaySteps">Steps over which the random share falls linearly from start to end.</param>
/// <param name="TrainEvery">Environment steps per gradient step. A gradient step costs some 15 forward passes
/// (bench: <c>learner</c>); every second step halves a brain's CPU for little loss of learning speed.</param>
public sealed record DqnSettings(
    double Gamma = 0.9,
    double LearningRate = 1e-3,
    int BatchSize = 32,
    int LearnAfter = 64,
    int TargetSyncEvery = 100,
    double EpsilonStart = 1.0,
    double EpsilonEnd = 0.05,
    int EpsilonDecaySteps = 1000,
    int TrainEvery = 2);

/// <summary>
/// Double DQN with experience replay, learning online: a gradient step every other tick. Chosen over an
/// actor-critic (A2C/PPO) because replay reuses every step many times: a brain at 5 Hz lives
/// through few steps, and the grid's goals are discrete and revisited (docs/learning.md).
/// Moves off the grid are masked out both when acting and in the bootstrapped target. The
/// networks run on an engine (<see cref="BrainCommandLine.Engines"/>); the algorithm is the same on each.
/// </summary>
public sealed class DqnLearner : IDisposable
{
    public const int Actions = 4;

    /// <summary>Gradients are clipped to this norm: one surprising batch does not undo what was learned.</summary>
    private const float MaxGradientNorm = 10;

    private readonly DqnSettings _settings;
    private readonly IDqnEngine _engine;
    private readonly ReplayBuffer _replay;
    private readonly Random _random;
    private readonly DqnBatch _batch;
    private readonly float[] _values = new float[Actions];

    public DqnLearner(int inputs, BrainRole role, int seed, DqnSettings? settings = null, string engine = BrainCommandLine.DefaultEngine)
    {
        _settings = settings ?? new DqnSettings();
        _random = new Random(seed);
        Layout = new NetworkLayout(inputs, role.HiddenLayers, Actions);
        var initial = Layout.InitialWeights(seed);
        _engine = engine switch
        {
            BrainCommandLine.LeanEngine => new LeanDqnEngine(Layout, initial, _settings.LearningRate, _settings.BatchSize),
            BrainCommandLine.TorchEngine => CreateTorchEngine(Layout, initial, _settings),
            _ => throw new ArgumentException($"'{engine}' is not an engine ({string.Join(", ", BrainCommandLine.Engines)})", nameof(engine)),
        };
        _replay = new ReplayBuffer(role.ReplayCapacity, inputs);
        _batch = new DqnBatch(_settings.BatchSize, inputs, Actions);
    }

    public NetworkLayout Layout { get; }

    /// <summary>Names the network layout in a checkpoint; a checkpoint of another layout is not loaded.</summary>
    public string Format => Layout.Format;

    /// <summary>Environment steps learned from (the exploration schedule follows it).</summary>
    public long Steps { get; private set; }

    public long GradientSteps { get; private set; }

    public double Epsilon => Math.Max(_settings.EpsilonEnd, _settings.EpsilonStart - ((_settings.EpsilonStart - _settings.EpsilonEnd) * Steps / _settings.EpsilonDecaySteps));

    /// <summary>A move among the open ones: random with probability epsilon when exploring, else the best valued.</summary>
    public int Act(float[] state, bool[] open, bool explore)
    {
        if (explore && _random.NextDouble() < Epsilon)
        {
            var choices = 0;
            foreach (var isOpen in open)
            {
                choices += isOpen ? 1 : 0;
            }

            var pick = _random.Next(choices);
            for (var a = 0; ; a++)
            {
                if (open[a] && pick-- == 0)
                {
                    return a;
                }
            }
        }

        _engine.Values(state, _values);
        return LeanDqnEngine.BestOpen(_values, open);
    }

    /// <summary>Remembers a step and, every <see cref="DqnSettings.TrainEvery"/> steps, takes a gradient step; returns its loss, or null when none was taken.</summary>
    public double? Learn(Transition transition)
    {
        _replay.Add(transition);
        Steps++;
        if (_replay.Count < Math.Max(_settings.LearnAfter, _settings.BatchSize) || Steps % _settings.TrainEvery != 0)
        {
            return null;
        }

        FillBatch();
        var loss = _engine.Train(_batch, (float)_settings.Gamma, MaxGradientNorm);
        if (++GradientSteps % _settings.TargetSyncEvery == 0)
        {
            _engine.SyncTarget();
        }

        return loss;
    }

    /// <summary>The online network's weights in the checkpoint format (<see cref="CheckpointWeights"/>).</summary>
    public byte[] SaveWeights()
    {
        var parameters = new float[Layout.ParameterCount];
        _engine.ReadParameters(parameters);
        return CheckpointWeights.Write(Layout, parameters);
    }

    /// <summary>Why <paramref name="weights"/> would not load into this network (truncated, corrupt, of other shapes), or null.</summary>
    public string? CanLoadWeights(byte[] weights) => CheckpointWeights.Read(Layout, weights, new float[Layout.ParameterCount]);

    /// <summary>Loads weights saved by <see cref="SaveWeights"/> and resumes the exploration schedule at <paramref name="steps"/>.</summary>
    public void LoadWeights(byte[] weights, long steps)
    {
        var parameters = new float[Layout.ParameterCount];
        if (CheckpointWeights.Read(Layout, weights, parameters) is { } problem)
        {
            throw new InvalidDataException(problem);
        }

        _engine.WriteParameters(parameters);
        _engine.SyncTarget();
        Steps = steps;
    }

    public void Dispose() => _engine.Dispose();

    // Apart, and never inlined, so that a brain on the lean engine never loads TorchSharp.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static IDqnEngine CreateTorchEngine(NetworkLayout layout, float[] initial, DqnSettings settings) =>
        new TorchDqnEngine(layout, initial, settings.LearningRate, settings.BatchSize);

    private void FillBatch()
    {
        for (var i = 0; i < _batch.Size; i++)
        {
            _replay.SampleInto(_random, _batch, i);
        }
    }
}
