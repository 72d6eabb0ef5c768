using TorchSharp;
using static TorchSharp.torch;

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
/// through few steps, and the grid's goals are discrete and revisited (README, "The brain").
/// Moves off the grid are masked out both when acting and in the bootstrapped target.
/// </summary>
public sealed class DqnLearner : IDisposable
{
    public const int Actions = 4;

    /// <summary>Names the network layout in a checkpoint; a checkpoint of another layout is not loaded.</summary>
    public string Format { get; }

    private readonly DqnSettings _settings;
    private readonly QNetwork _online;
    private readonly IReadOnlyList<int> _hidden;
    private readonly QNetwork _target;
    private readonly optim.Optimizer _optimizer;
    private readonly ReplayBuffer _replay;
    private readonly Random _random;
    private readonly int _inputs;

    // Reused batch buffers: a tick allocates no managed arrays for the batch.
    private readonly float[] _states;
    private readonly float[] _nexts;
    private readonly long[] _actions;
    private readonly float[] _rewards;
    private readonly float[] _notDone;
    private readonly bool[] _nextOpen;

    public DqnLearner(int inputs, BrainRole role, int seed, DqnSettings? settings = null)
    {
        _settings = settings ?? new DqnSettings();
        _inputs = inputs;
        _random = new Random(seed);
        torch.manual_seed(seed);
        _hidden = role.HiddenLayers;
        _online = new QNetwork(inputs, role.HiddenLayers, Actions);
        _target = new QNetwork(inputs, role.HiddenLayers, Actions);
        _target.load_state_dict(_online.state_dict());
        _target.eval();
        _optimizer = optim.Adam(_online.parameters(), _settings.LearningRate);
        _replay = new ReplayBuffer(role.ReplayCapacity);
        Format = $"torchsharp-dqn/{inputs}x{string.Join('x', role.HiddenLayers)}x{Actions}";

        var batch = _settings.BatchSize;
        (_states, _nexts) = (new float[batch * inputs], new float[batch * inputs]);
        (_actions, _rewards, _notDone, _nextOpen) = (new long[batch], new float[batch], new float[batch], new bool[batch * Actions]);
    }

    /// <summary>Environment steps learned from (the exploration schedule follows it).</summary>
    public long Steps { get; private set; }

    public long GradientSteps { get; private set; }

    public double Epsilon => Math.Max(_settings.EpsilonEnd, _settings.EpsilonStart - ((_settings.EpsilonStart - _settings.EpsilonEnd) * Steps / _settings.EpsilonDecaySteps));

    /// <summary>A move among the open ones: random with probability epsilon when exploring, else the best valued.</summary>
    public int Act(float[] state, bool[] open, bool explore)
    {
        if (explore && _random.NextDouble() < Epsilon)
        {
            var choices = Enumerable.Range(0, Actions).Where(a => open[a]).ToArray();
            return choices[_random.Next(choices.Length)];
        }

        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var values = _online.forward(torch.tensor(state, [1, _inputs])).data<float>().ToArray();
        var best = -1;
        for (var a = 0; a < Actions; a++)
        {
            if (open[a] && (best < 0 || values[a] > values[best]))
            {
                best = a;
            }
        }

        return best;
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
        var batch = _settings.BatchSize;
        using var scope = torch.NewDisposeScope();
        var states = torch.tensor(_states, [batch, _inputs]);
        var nexts = torch.tensor(_nexts, [batch, _inputs]);
        var actions = torch.tensor(_actions, [batch, 1]);
        var rewards = torch.tensor(_rewards, [batch]);
        var notDone = torch.tensor(_notDone, [batch]);
        var nextOpen = torch.tensor(_nextOpen, [batch, Actions]);

        Tensor targets;
        using (torch.no_grad())
        {
            // Double DQN: the online network picks the next move, the target network values it.
            var nextChoice = _online.forward(nexts).masked_fill(nextOpen.logical_not(), float.NegativeInfinity).argmax(1, keepdim: true);
            var nextValue = _target.forward(nexts).gather(1, nextChoice).squeeze(1);
            targets = rewards + ((float)_settings.Gamma * nextValue * notDone);
        }

        var predicted = _online.forward(states).gather(1, actions).squeeze(1);
        var loss = nn.functional.smooth_l1_loss(predicted, targets);
        _optimizer.zero_grad();
        loss.backward();
        nn.utils.clip_grad_norm_(_online.parameters(), 10);
        _optimizer.step();

        if (++GradientSteps % _settings.TargetSyncEvery == 0)
        {
            _target.load_state_dict(_online.state_dict());
        }

        return loss.item<float>();
    }

    /// <summary>The online network's weights in TorchSharp's format.</summary>
    public byte[] SaveWeights()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            _online.save(writer);
        }

        return stream.ToArray();
    }

    /// <summary>
    /// Why <paramref name="weights"/> would not load into this network (truncated, corrupt, of other
    /// shapes), or null: tried on a scratch network of the same layout, so a failed load never leaves
    /// the real one half overwritten.
    /// </summary>
    public string? CanLoadWeights(byte[] weights)
    {
        using var scratch = new QNetwork(_inputs, _hidden, Actions);
        try
        {
            using var reader = new BinaryReader(new MemoryStream(weights));
            scratch.load(reader);
            return null;
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidOperationException or FormatException or IndexOutOfRangeException)
        {
            return $"the weights do not load: {e.GetType().Name}: {e.Message}";
        }
    }

    /// <summary>Loads weights saved by <see cref="SaveWeights"/> and resumes the exploration schedule at <paramref name="steps"/>.</summary>
    public void LoadWeights(byte[] weights, long steps)
    {
        using (var reader = new BinaryReader(new MemoryStream(weights)))
        {
            _online.load(reader);
        }

        _target.load_state_dict(_online.state_dict());
        Steps = steps;
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _online.Dispose();
        _target.Dispose();
    }

    private void FillBatch()
    {
        for (var i = 0; i < _settings.BatchSize; i++)
        {
            var t = _replay.Sample(_random);
            t.State.CopyTo(_states, i * _inputs);
            t.Next.CopyTo(_nexts, i * _inputs);
            _actions[i] = t.Action;
            _rewards[i] = t.Reward;
            _notDone[i] = t.Done ? 0 : 1;
            for (var a = 0; a < Actions; a++)
            {
                // A finished episode has no next move to value; any open one keeps argmax defined.
                _nextOpen[(i * Actions) + a] = t.NextOpen[a] || t.Done;
            }
        }
    }
}
