using System.Runtime.InteropServices;
using Nimmerverse.Protocol;
using TorchSharp;
using static TorchSharp.torch;

namespace Nimmerverse.Actors.Governor;

/// <summary>
/// The learned governor, an actor-critic shared by every NPC (its features include the NPC's role
/// and the village's context). The actor's four means, in logit space, map through a sigmoid to
/// tick rate, CPU quota, gate and LLM priority (<see cref="ActorRanges"/>); it explores with Gaussian
/// noise in logit space, each NPC's draw held for some epochs (<see cref="HeldDraws"/>; the gate a
/// coin of its probability). The critic estimates what following the actor is worth from an
/// NPC's features.
/// Each NPC's reward for an epoch is its progress less its cost at the village's price
/// (<see cref="VillagePrice"/>), and a decision is credited with the
/// rewards of the <see cref="DelayedCredit.Horizon"/> epochs after it (<see cref="DelayedCredit"/>).
/// The reasons are in docs/learning.md.
/// </summary>
public sealed partial class LearnedPolicy : IGovernorPolicy
{
    /// <summary>Epochs a decision is credited with by default: half a minute of what follows it, at the default epoch.</summary>
    public const int DefaultHorizon = 30;

    /// <summary>γ by default: about a hundred epochs ahead count, as long as a newcomer explores (docs/learning.md, "How well it learns").</summary>
    public const double DefaultDiscount = 0.99;

    public const double DefaultLambda = 0.95;

    /// <summary>Epochs an NPC's exploration draw is held by default (<see cref="HeldDraws"/>).</summary>
    public const int DefaultHoldEpochs = 10;

    private const int Outputs = 4;

    /// <summary>Credited decisions a learning step looks at, at most.</summary>
    private const int LearningSample = 256;

    /// <summary>How fast the rewards' scale follows the village (about 50 epochs, as the price).</summary>
    private const double Smoothing = VillagePrice.Smoothing;

    /// <summary>How fast the advantages' spread follows the learning steps (about 100 steps).</summary>
    private const double SpreadSmoothing = 0.01;

    /// <summary>The most an offline example is weighted (advantage-weighted regression: e^(advantage / temperature), capped).</summary>
    private const double MaxOfflineWeight = 20;

    /// <summary>The temperature of those weights, in units of the advantages' spread: lower follows the best recorded decisions more closely.</summary>
    private const double OfflineTemperature = 0.5;

    private readonly nn.Module<Tensor, Tensor> _actor;
    private readonly nn.Module<Tensor, Tensor> _critic;
    private readonly optim.Optimizer _optimizer;
    private readonly DelayedCredit _credit;
    private readonly (int Horizon, double Discount, double Lambda) _creditShape;
    private readonly double _sigma;

    /// <summary>
    /// The critic's values are in rewards per epoch, read back times 1 / (1 − γ): fitted in rewards, its
    /// targets grew with the epochs γ looks ahead (100 at γ 0.99), it stayed far off them for thousands of
    /// epochs, and its error swamped the advantages (docs/learning.md, the learned policy).
    /// </summary>
    private readonly double _valueScale;
    private readonly Random _random;
    private readonly List<DelayedCredit.Credited> _credited = [];
    private readonly HeldDraws _held;
    private readonly VillagePrice _price = new();
    private double _rewardScale;
    private double _advantageSpread;

    /// <summary>
    /// The spread of the likelihood it learns with, in logit space, where it draws with 4 x
    /// <c>Governor:Exploration</c> (the spread of the 0..1 outputs at their middle, where the sigmoid's
    /// slope is a quarter; less toward the bounds). Never below 0.2, so that decisions made without
    /// exploration, and recorded ones, keep a likelihood to learn from.
    /// </summary>
    private double LogitSigma => Math.Max(4 * _sigma, 0.2);

    /// <param name="exploration">The spread of its exploration on the 0..1 outputs at their middle (drawn in logit space: 4 x this).</param>
    /// <param name="learningRate">Adam's step size.</param>
    /// <param name="seed">Seeds the networks and the exploration.</param>
    /// <param name="horizon">Epochs a decision is credited with (<see cref="DelayedCredit"/>).</param>
    /// <param name="discount">γ of that credit.</param>
    /// <param name="lambda">λ of that credit.</param>
    /// <param name="holdEpochs">Epochs an NPC keeps one exploration draw (<see cref="HeldDraws"/>); 1 draws afresh every epoch.</param>
    /// <param name="startRateHz">
    /// Where the untrained actor starts: every NPC at this rate, its LLM gate open one epoch in ten (its
    /// last layer scaled to a hundredth and biased there, so what it learns moves it from the configured
    /// allocation rather than from an arbitrary one); null leaves the initialisation as it is.
    /// </param>
    public LearnedPolicy(double exploration, double learningRate, int seed, int horizon = DefaultHorizon, double discount = DefaultDiscount, double lambda = DefaultLambda, int holdEpochs = DefaultHoldEpochs, double? startRateHz = null)
    {
        _random = new Random(seed);
        // The Gaussian parts (tick rate, quota, priority); the gate's coin is tossed every epoch.
        _held = new HeldDraws(holdEpochs, () => [(float)(4 * _sigma * _random.NextGaussian()), (float)(4 * _sigma * _random.NextGaussian()), 0, (float)(4 * _sigma * _random.NextGaussian())]);
        torch.random.manual_seed(seed);
        // Matrices of at most 2,500 x 32: one thread does them faster than a pool that must wake up
        // (measured: the pool's hand-offs were the p99), and the supervisor's actors keep the other core.
        torch.set_num_threads(1);
        _sigma = exploration;
        _credit = new DelayedCredit(horizon, discount, lambda);
        _creditShape = (horizon, discount, lambda);
        _valueScale = 1 / (1 - discount);
        var head = nn.Linear(32, Outputs);
        _actor = nn.Sequential(
            ("in", nn.Linear(GovernorFeatures.Count, 32)),
            ("tanh1", nn.Tanh()),
            ("hidden", nn.Linear(32, 32)),
            ("tanh2", nn.Tanh()),
            ("out", head));
        if (startRateHz is { } rate)
        {
            using var noGrad = no_grad();
            head.weight!.mul_(0.01);
            head.bias!.copy_(tensor(new[] { ActorRanges.LogitOfShare((rate - TickRates.MinHz) / (TickRates.MaxHz - TickRates.MinHz)), 0f, ActorRanges.Logit(0.1), 0f }));
        }

        _critic = nn.Sequential(
            ("in", nn.Linear(GovernorFeatures.Count, 32)),
            ("tanh1", nn.Tanh()),
            ("out", nn.Linear(32, 1)));
        _optimizer = optim.Adam(_actor.parameters().Concat(_critic.parameters()), learningRate);
    }

    /// <summary>
    /// What its checkpoints hold: weights for this network shape and input width, no other; <c>stretched</c>: the
    /// actor's means are read unsquashed, ±<see cref="ActorRanges.MaxLogit"/> reaching the ends of the ranges (weights from
    /// before, read through a tanh onto a narrower range, would decide otherwise); <c>per-epoch-critic</c>: the critic's
    /// values are per epoch (<see cref="_valueScale"/>; a critic from before would be read 1 / (1 − γ) times too large).
    /// </summary>
    public static string WeightsFormat => $"torchsharp-governor/actor-critic/in{GovernorFeatures.Count}/stretched/per-epoch-critic";

    public string Name => GovernorSettings.Learned;

    /// <summary>Updates made so far.</summary>
    public long Updates { get; private set; }

    /// <summary>What a CPU-second must buy (<see cref="VillagePrice"/>).</summary>
    public double Price => _price.Value;

    double? IGovernorPolicy.Price => Price;

    /// <summary>What a decision leaves for learning: who, what they saw, what was done.</summary>
    private sealed record Memory(int[] Ids, float[][] Inputs, float[][] Actions);

    public PolicyDecision Decide(IReadOnlyList<int> npcIds, float[][] features, IReadOnlyList<double> fairSharePercent)
    {
        if (npcIds.Count == 0)
        {
            return new PolicyDecision([]);
        }

        float[] logits;
        using (var scope = NewDisposeScope())
        using (no_grad())
        using (var lowest = (-ActorRanges.MaxLogit).ToScalar())
        using (var highest = ActorRanges.MaxLogit.ToScalar())
        {
            var inputs = Stack(features);
            // A contiguous result read as one block: the element accessor walks it one index at a time.
            logits = MemoryMarshal.Cast<byte, float>(_actor.forward(inputs).clamp(lowest, highest).contiguous().bytes).ToArray();
        }

        var actions = new float[npcIds.Count][];
        var decided = new NpcAllocation[npcIds.Count];
        for (var i = 0; i < npcIds.Count; i++)
        {
            // Drawn in logit space, so the gradient never vanishes at a bound as a sigmoid's does; what is
            // remembered is what the draw added to the mean (the gate: the coin against its probability),
            // which stays a fair sample of exploration however far the policy moves before it is credited.
            var a = actions[i] = _held.For(npcIds[i]);
            var gate = ActorRanges.Sigmoid(logits[(i * Outputs) + 2]);
            a[2] = (_random.NextDouble() < gate ? 1 : 0) - gate;

            var at = logits.AsSpan(i * Outputs, Outputs);
            decided[i] = new NpcAllocation(
                npcIds[i],
                TickRates.MinHz + (ActorRanges.ShareOf(at[0] + a[0]) * (TickRates.MaxHz - TickRates.MinHz)),
                CpuQuotas.MinPercent + (ActorRanges.ShareOf(at[1] + a[1]) * (CpuQuotas.MaxPercent - CpuQuotas.MinPercent)),
                a[2] > 0,
                (int)Math.Round(ActorRanges.ShareOf(at[3] + a[3]) * 10));
        }

        return new PolicyDecision(decided, new Memory([.. npcIds], features, actions));
    }

    public void Learn(PolicyDecision decision, EpochYield outcome)
    {
        if (decision.Memory is not Memory memory || !double.IsFinite(outcome.Progress) || !double.IsFinite(outcome.Cost))
        {
            return;
        }

        _price.Follow(outcome.Progress, outcome.Cost);
        var price = Price;
        var present = memory.Ids.ToHashSet();
        _credit.Retain(present);
        _held.Retain(present);
        for (var i = 0; i < memory.Ids.Length; i++)
        {
            var id = memory.Ids[i];
            if (!outcome.Npcs.TryGetValue(id, out var own) || !double.IsFinite(own.Progress) || !double.IsFinite(own.Cost))
            {
                _credit.Forget(id); // no epoch behind it: what came before is cut off from what follows
                continue;
            }

            var reward = own.Progress - (price * own.Cost);
            _rewardScale = _rewardScale == 0 ? Math.Abs(reward) : _rewardScale + (Smoothing * (Math.Abs(reward) - _rewardScale));
            _credit.Add(id, new DelayedCredit.Step(memory.Inputs[i], memory.Actions[i], (float)(reward / Math.Max(_rewardScale, 1e-9))));
        }

        _credited.Clear();
        _credit.Collect(_credited, ValuesNow, LearningSample, _random);
        if (_credited.Count >= 2)
        {
            Step(_credited);
        }
    }

    public void Forget(int npcId)
    {
        _credit.Forget(npcId);
        _held.Forget(npcId);
    }

    public byte[]? SaveWeights()
    {
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream);
        foreach (var network in new[] { _actor, _critic })
        {
            using var part = new MemoryStream();
            network.save(part); // closes it; its bytes stay readable
            var bytes = part.ToArray();
            writer.Write(bytes.Length);
            writer.Write(bytes);
        }

        writer.Flush();
        return stream.ToArray();
    }

    public void LoadWeights(byte[] weights)
    {
        using var reader = new BinaryReader(new MemoryStream(weights));
        foreach (var network in new[] { _actor, _critic })
        {
            using var part = new MemoryStream(reader.ReadBytes(reader.ReadInt32()));
            network.load(part);
        }
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _actor.Dispose();
        _critic.Dispose();
    }

    /// <summary>Rows of <paramref name="width"/> numbers as one matrix.</summary>
    private static Tensor Stack(IReadOnlyList<float[]> rows, int width = GovernorFeatures.Count)
    {
        var flat = new float[rows.Count * width];
        for (var i = 0; i < rows.Count; i++)
        {
            rows[i].CopyTo(flat, i * width);
        }

        return tensor(flat, [rows.Count, width]);
    }

    /// <summary>
    /// One step of both networks on credited decisions: the actor toward what beat the critic (online,
    /// by its advantage; <paramref name="offline"/>, by e^(advantage / temperature)), the critic toward what followed.
    /// </summary>
    private void Step(IReadOnlyList<DelayedCredit.Credited> batch, bool offline = false)
    {
        using var scope = NewDisposeScope();
        // Every number a tensor operation takes is an explicit Scalar, disposed when the step returns: an
        // implicit one is freed only by its finalizer, which can run while LibTorch still reads it (it
        // did once: an internal assert in pow). Kept alive by these usings, not by luck.
        using var one = 1.0.ToScalar();
        using var tiny = 1e-6.ToScalar();
        using var low = 1e-4.ToScalar();
        using var high = (1 - 1e-4).ToScalar();
        using var variance = (LogitSigma * LogitSigma).ToScalar();
        using var twiceVariance = (2 * LogitSigma * LogitSigma).ToScalar();
        using var temperature = OfflineTemperature.ToScalar();
        using var maxWeight = MaxOfflineWeight.ToScalar();
        using var maxLogit = ActorRanges.MaxLogit.ToScalar();
        using var half = 0.5.ToScalar();
        var inputs = Stack([.. batch.Select(c => c.Inputs)]);
        var actions = Stack([.. batch.Select(c => c.Actions)], Outputs);
        var advantage = tensor(batch.Select(c => c.Advantage).ToArray());
        var returns = tensor(batch.Select(c => c.Return).ToArray());
        advantage = offline ? (advantage - advantage.mean()) / (advantage.std() + tiny) : Normalised(batch, advantage);

        var logits = _actor.forward(inputs);
        var index = tensor(new long[] { 0, 1, 3 });
        var mu = logits.index_select(1, index);
        var taken = actions.index_select(1, index);
        Tensor actorLoss;
        if (offline)
        {
            // Regression toward the recorded draws (logits; the gate 0 or 1), each weighted by e^(advantage / temperature).
            var gaussian = -((taken - mu).square() / twiceVariance).sum(1);
            var p = sigmoid(logits.select(1, 2)).clamp(low, high);
            var gate = actions.select(1, 2);
            var bernoulli = (gate * p.log()) + ((one - gate) * (one - p).log());
            actorLoss = -((advantage / temperature).exp().clamp_max(maxWeight) * (gaussian + bernoulli)).mean();
        }
        else
        {
            // The score of each draw at the current mean: the gradient of its log-likelihood is what the
            // draw added (over σ² for the Gaussian ones), times the advantage it earned.
            var score = ((taken * mu).sum(1) / variance) + (actions.select(1, 2) * logits.select(1, 2));
            actorLoss = -(advantage * score).mean();
        }

        // Means beyond ±MaxLogit (the ends of each range; decisions clamp them there) are pulled back rather than
        // squashed: a squashing function's slope vanishes out there, and a policy pushed out by a village's
        // common drift could not come back (it did, with tanh).
        actorLoss += (logits.abs() - maxLogit).relu().square().sum(1).mean();
        using var perEpoch = (1 / _valueScale).ToScalar();
        var criticLoss = (_critic.forward(inputs).squeeze(1) - (returns * perEpoch)).square().mean();
        _optimizer.zero_grad();
        (actorLoss + (half * criticLoss)).backward();
        // Each network's gradient clipped on its own: a critic still far off must not shrink the actor's step.
        nn.utils.clip_grad_norm_(_actor.parameters(), 1.0);
        nn.utils.clip_grad_norm_(_critic.parameters(), 1.0);
        _optimizer.step();
        Updates++;
    }

    /// <summary>The critic's values, as it is now, of NPCs' features, in rewards (<see cref="DelayedCredit"/> asks for them).</summary>
    private float[] ValuesNow(IReadOnlyList<float[]> features)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var values = MemoryMarshal.Cast<byte, float>(_critic.forward(Stack(features)).contiguous().bytes).ToArray();
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(values[i] * _valueScale);
        }

        return values;
    }

    /// <summary>
    /// An online batch's advantages less their mean, over their spread smoothed across steps. An epoch
    /// credits a decision per NPC, a handful; divided by its own spread, a batch of pure noise moved the
    /// actor as far as one that held a lesson.
    /// </summary>
    private Tensor Normalised(IReadOnlyList<DelayedCredit.Credited> batch, Tensor advantage)
    {
        var mean = batch.Average(c => (double)c.Advantage);
        var spread = Math.Sqrt(batch.Average(c => (c.Advantage - mean) * (c.Advantage - mean)));
        _advantageSpread = _advantageSpread == 0 ? spread : _advantageSpread + (SpreadSmoothing * (spread - _advantageSpread));
        using var centre = mean.ToScalar();
        using var over = (_advantageSpread + 1e-6).ToScalar();
        return (advantage - centre) / over;
    }
}
