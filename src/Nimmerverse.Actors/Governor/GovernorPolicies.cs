using Nimmerverse.Protocol;
using TorchSharp;
using static TorchSharp.torch;

namespace Nimmerverse.Actors.Governor;

/// <summary>
/// What a policy decided, and what it needs to learn from that decision once its reward is known
/// (a learning policy's inputs and sampled actions; nothing for a fixed one). Disposed once learnt
/// from, or when it never will be.
/// </summary>
public sealed class PolicyDecision(IReadOnlyList<NpcAllocation> allocations, IDisposable? memory = null) : IDisposable
{
    public IReadOnlyList<NpcAllocation> Allocations { get; } = allocations;

    /// <summary>The policy's own record of the decision, for its <see cref="IGovernorPolicy.Learn"/>.</summary>
    public IDisposable? Memory { get; } = memory;

    public void Dispose() => Memory?.Dispose();
}

/// <summary>What decides the allocations: given the epoch's features, one wanted allocation per NPC; told the reward that followed.</summary>
public interface IGovernorPolicy : IDisposable
{
    string Name { get; }

    /// <summary>
    /// One allocation per row of <paramref name="features"/>, for the NPCs in <paramref name="npcIds"/>
    /// (same order); <paramref name="fairSharePercent"/> is each one's equal share of its own host's
    /// CPU budget (hosts differ in how many NPCs they run).
    /// </summary>
    PolicyDecision Decide(IReadOnlyList<int> npcIds, float[][] features, IReadOnlyList<double> fairSharePercent);

    /// <summary>
    /// The rewards of the epoch that followed <paramref name="decision"/>: the village's, and each
    /// NPC's own (its reward per CPU-second) by id; a learning policy learns from them. The caller
    /// disposes the decision afterwards.
    /// </summary>
    void Learn(PolicyDecision decision, double reward, IReadOnlyDictionary<int, double>? npcRewards = null);

    /// <summary>The policy's weights (null for one without any).</summary>
    byte[]? SaveWeights();

    void LoadWeights(byte[] weights);
}

/// <summary>The baseline: every NPC the same tick rate and an equal share of the host's budget, gates closed, middle priority.</summary>
public sealed class EqualSharePolicy(double tickRateHz) : IGovernorPolicy
{
    public string Name => GovernorSettings.EqualShare;

    public PolicyDecision Decide(IReadOnlyList<int> npcIds, float[][] features, IReadOnlyList<double> fairSharePercent) =>
        new([.. npcIds.Select((id, i) => new NpcAllocation(id, tickRateHz, Math.Min(CpuQuotas.MaxPercent, fairSharePercent[i]), false, 5))]);

    public void Learn(PolicyDecision decision, double reward, IReadOnlyDictionary<int, double>? npcRewards = null)
    {
    }

    public byte[]? SaveWeights() => null;

    public void LoadWeights(byte[] weights)
    {
    }

    public void Dispose()
    {
    }
}

/// <summary>
/// The learned governor: one small network shared by every NPC (its features include the
/// village's context), four outputs in 0..1 mapped to tick rate, CPU quota, gate and LLM
/// priority. It explores with Gaussian noise around its outputs (the gate drawn as a coin of its
/// probability) and learns by REINFORCE: after each epoch, each NPC's own reward per CPU-second
/// (or, where there is none, the village's) against a running baseline, in units of its running
/// spread, scales the log-likelihood of what was done for that NPC: credit where it was earned.
/// </summary>
public sealed class LearnedPolicy : IGovernorPolicy
{
    private const int Outputs = 4;

    /// <summary>NPCs a learning step looks at, at most.</summary>
    private const int LearningSample = 256;

    private readonly nn.Module<Tensor, Tensor> _network;
    private readonly optim.Optimizer _optimizer;
    private readonly double _sigma;
    private readonly Random _random;
    private double _baseline;
    private double _scale = 1;
    private bool _haveBaseline;

    public LearnedPolicy(double exploration, double learningRate, int seed)
    {
        torch.random.manual_seed(seed);
        // Matrices of at most 2,500 x 32: one thread does them faster than a pool that must wake up
        // (measured: the pool's hand-offs were the p99), and the supervisor's actors keep the other core.
        torch.set_num_threads(1);
        _random = new Random(seed);
        _sigma = exploration;
        _network = nn.Sequential(
            ("in", nn.Linear(GovernorFeatures.Count, 32)),
            ("tanh1", nn.Tanh()),
            ("hidden", nn.Linear(32, 32)),
            ("tanh2", nn.Tanh()),
            ("out", nn.Linear(32, Outputs)));
        _optimizer = optim.Adam(_network.parameters(), learningRate);
    }

    public string Name => GovernorSettings.Learned;

    /// <summary>Updates made so far.</summary>
    public long Updates { get; private set; }

    /// <summary>What a decision leaves for learning: who, what they saw, what was done (tensors, freed on dispose).</summary>
    private sealed class Memory(int[] ids, Tensor inputs, Tensor actions) : IDisposable
    {
        public int[] Ids { get; } = ids;

        public Tensor Inputs { get; } = inputs;

        public Tensor Actions { get; } = actions;

        public void Dispose()
        {
            Inputs.Dispose();
            Actions.Dispose();
        }
    }

    public PolicyDecision Decide(IReadOnlyList<int> npcIds, float[][] features, IReadOnlyList<double> fairSharePercent)
    {
        if (npcIds.Count == 0)
        {
            return new PolicyDecision([]);
        }

        var flat = new float[npcIds.Count * GovernorFeatures.Count];
        for (var i = 0; i < features.Length; i++)
        {
            features[i].CopyTo(flat, i * GovernorFeatures.Count);
        }

        using var scope = NewDisposeScope();
        var inputs = tensor(flat, [npcIds.Count, GovernorFeatures.Count]);
        float[] means;
        using (no_grad())
        {
            // A contiguous result read as one block: the element accessor walks it one index at a time.
            means = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(sigmoid(_network.forward(inputs)).contiguous().bytes).ToArray();
        }

        var actions = new float[means.Length];
        var decided = new NpcAllocation[npcIds.Count];
        for (var i = 0; i < npcIds.Count; i++)
        {
            for (var k = 0; k < Outputs; k++)
            {
                var mean = means[(i * Outputs) + k];
                actions[(i * Outputs) + k] = k == 2
                    ? (_random.NextDouble() < mean ? 1 : 0)
                    : (float)Math.Clamp(mean + (_sigma * Gaussian()), 0, 1);
            }

            var a = actions.AsSpan(i * Outputs, Outputs);
            decided[i] = new NpcAllocation(
                npcIds[i],
                TickRates.MinHz + (a[0] * (TickRates.MaxHz - TickRates.MinHz)),
                CpuQuotas.MinPercent + (a[1] * (CpuQuotas.MaxPercent - CpuQuotas.MinPercent)),
                a[2] > 0.5f,
                (int)Math.Round(a[3] * 10));
        }

        return new PolicyDecision(decided, new Memory(
            [.. npcIds], inputs.MoveToOuterDisposeScope(), tensor(actions, [npcIds.Count, Outputs]).MoveToOuterDisposeScope()));
    }

    public void Learn(PolicyDecision decision, double reward, IReadOnlyDictionary<int, double>? npcRewards = null)
    {
        if (decision.Memory is not Memory memory || !double.IsFinite(reward))
        {
            return;
        }

        // One return per row of the decision: the NPC's own where known, else the village's.
        var returns = memory.Ids.Select(id => npcRewards is not null && npcRewards.TryGetValue(id, out var own) && double.IsFinite(own) ? own : reward).ToArray();
        var mean = returns.Average();
        var spread = Math.Sqrt(returns.Average(r => (r - mean) * (r - mean)));
        if (!_haveBaseline)
        {
            (_baseline, _scale, _haveBaseline) = (mean, Math.Max(spread, 1e-3), true);
            return;
        }

        var advantages = returns.Select(r => (float)((r - _baseline) / Math.Max(_scale, 1e-3))).ToArray();
        _baseline = (0.95 * _baseline) + (0.05 * mean);
        _scale = (0.95 * _scale) + (0.05 * Math.Max(spread, Math.Abs(mean - _baseline)));
        using var scope = NewDisposeScope();
        // The gradient from a random sample of the NPCs: the same estimate in expectation, and an
        // epoch of 2,500 NPCs stays within its time.
        var (inputs, actions, advantage) = (memory.Inputs, memory.Actions, tensor(advantages));
        if (inputs.shape[0] > LearningSample)
        {
            var sample = randperm(inputs.shape[0]).narrow(0, 0, LearningSample);
            (inputs, actions, advantage) = (inputs.index_select(0, sample), actions.index_select(0, sample), advantage.index_select(0, sample));
        }

        var means = sigmoid(_network.forward(inputs));
        var continuous = new long[] { 0, 1, 3 };
        var index = tensor(continuous);
        var mu = means.index_select(1, index);
        var taken = actions.index_select(1, index);
        // Gaussian log-likelihood (up to a constant) of the continuous outputs, Bernoulli of the gate.
        var gaussian = -((taken - mu).pow(2) / (2 * _sigma * _sigma)).sum(1);
        var p = means.select(1, 2).clamp(1e-4, 1 - 1e-4);
        var gate = actions.select(1, 2);
        var bernoulli = (gate * p.log()) + ((1 - gate) * (1 - p).log());
        var loss = -(advantage * (gaussian + bernoulli)).mean();
        _optimizer.zero_grad();
        loss.backward();
        nn.utils.clip_grad_norm_(_network.parameters(), 1.0);
        _optimizer.step();
        Updates++;
    }

    public byte[]? SaveWeights()
    {
        using var stream = new MemoryStream();
        _network.save(stream);
        return stream.ToArray();
    }

    public void LoadWeights(byte[] weights)
    {
        using var stream = new MemoryStream(weights);
        _network.load(stream);
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _network.Dispose();
    }

    /// <summary>A standard normal draw (Box-Muller).</summary>
    private double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());
}
