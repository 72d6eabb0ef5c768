using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Governor;

/// <summary>
/// The delayed-reward bandit per class of NPC (<see cref="NpcClass"/>: role, stage and quiz standing). Each NPC
/// holds one arm, a tick rate and an LLM gate, for <see cref="DefaultHoldEpochs"/> epochs; the pull is paid the
/// NPC's mean progress and CPU per epoch over the hold's epochs after the first <see cref="DefaultSettleEpochs"/>
/// (the rate's ramp and what the ticks buy a few epochs late fall inside the hold, so the arm is credited with its
/// own effect and not with the next arm's), and then what the class the NPC has come to is worth, discounted by
/// the hold's length (<see cref="ArmPayoffs.Expected"/>): a newcomer's ticks buy nothing while it explores but
/// bring it to the learning stage, whose ticks buy skill. Arms are judged at the village's price
/// (<see cref="VillagePrice"/>), as the actor-critic's rewards are: progress less price × CPU.
/// Pulls are booked per class, the rate and the gate each as its own bandit (<see cref="ArmPayoffs"/>:
/// faded every epoch, drawn by Thompson sampling).
/// Where the actor-critic takes a noisy gradient step every epoch, this averages: a class's arm is
/// judged by the mean of every pull it was given, so per-epoch noise that is many times a brain's
/// progress costs pulls, not direction (docs/learning.md, "Noise").
/// Its CPU quota is the NPC's fair share and its LLM priority the middle one: measured, neither binds.
/// </summary>
/// <param name="seed">Seeds the arms' draws.</param>
/// <param name="holdEpochs">Epochs an NPC keeps an arm.</param>
/// <param name="settleEpochs">Epochs at the start of a hold whose rewards are not paid to it.</param>
/// <param name="forgetting">What each epoch leaves of every class's older payoffs (<see cref="ArmPayoffs.Fade"/>).</param>
/// <param name="discount">What a later epoch's payoff is worth, per epoch: the class an NPC comes to counts this to the power of the hold's epochs.</param>
public sealed class ClassBanditPolicy(int seed, int holdEpochs = ClassBanditPolicy.DefaultHoldEpochs, int settleEpochs = ClassBanditPolicy.DefaultSettleEpochs, double forgetting = ClassBanditPolicy.DefaultForgetting, double discount = ClassBanditPolicy.DefaultDiscount) : IGovernorPolicy
{
    /// <summary>Half a minute at the default epoch: the rate's ramp (2 Hz an epoch) takes up to ten.</summary>
    public const int DefaultHoldEpochs = 30;

    public const int DefaultSettleEpochs = 10;

    /// <summary>About the last 500 epochs count: longer than a newcomer's youth, shorter than a village's maturing.</summary>
    public const double DefaultForgetting = 0.998;

    /// <summary>The actor-critic's: about a hundred epochs ahead count, three to four holds.</summary>
    public const double DefaultDiscount = 0.99;

    private const int MiddlePriority = 5;

    /// <summary>The rates it chooses among: the grid the fixed baselines are searched on.</summary>
    public static IReadOnlyList<double> RateArmsHz { get; } = [TickRates.MinHz, 2, 5, 10, TickRates.MaxHz];

    private readonly int _holdEpochs = holdEpochs >= 1 ? holdEpochs : throw new ArgumentOutOfRangeException(nameof(holdEpochs), holdEpochs, "at least one epoch");
    private readonly int _settleEpochs = settleEpochs >= 0 && settleEpochs < holdEpochs ? settleEpochs : throw new ArgumentOutOfRangeException(nameof(settleEpochs), settleEpochs, "from 0 to fewer than the hold's epochs");
    private readonly Random _random = new(seed);
    private readonly ArmPayoffs[] _rates = [.. Enumerable.Range(0, NpcClass.Count).Select(_ => new ArmPayoffs(RateArmsHz.Count))];
    private readonly ArmPayoffs[] _gates = [.. Enumerable.Range(0, NpcClass.Count).Select(_ => new ArmPayoffs(2))];
    private readonly double _continuing = discount is > 0 and < 1 ? Math.Pow(discount, holdEpochs) : throw new ArgumentOutOfRangeException(nameof(discount), discount, "between 0 and 1");
    private readonly Dictionary<int, Pull> _pulls = [];
    private readonly Dictionary<int, Pull> _ended = []; // held to the end, booked once the class the NPC came to is seen
    private readonly VillagePrice _price = new();

    /// <summary>What its checkpoints hold: the payoffs of these classes and arms, and the price.</summary>
    public static string WeightsFormat => $"class-bandit/classes{NpcClass.Count}/rates{string.Join('-', RateArmsHz)}/gates2";

    public string Name => GovernorSettings.ClassBandit;

    /// <summary>What a CPU-second must buy (<see cref="VillagePrice"/>).</summary>
    public double Price => _price.Value;

    /// <summary>A class's rate arms: what it has learnt of that class.</summary>
    public ArmPayoffs RatesOf(NpcClass npcClass) => _rates[npcClass.Index];

    /// <summary>A class's gate arms (0 closed, 1 open).</summary>
    public ArmPayoffs GatesOf(NpcClass npcClass) => _gates[npcClass.Index];

    public PolicyDecision Decide(IReadOnlyList<int> npcIds, float[][] features, IReadOnlyList<double> fairSharePercent)
    {
        var decided = new NpcAllocation[npcIds.Count];
        for (var i = 0; i < npcIds.Count; i++)
        {
            if (!_pulls.TryGetValue(npcIds[i], out var pull))
            {
                var npcClass = NpcClass.Of(features[i]);
                if (_ended.Remove(npcIds[i], out var ended))
                {
                    Book(ended, npcClass);
                }

                _pulls[npcIds[i]] = pull = new Pull(npcClass, _rates[npcClass.Index].Draw(_random, Price), _gates[npcClass.Index].Draw(_random, Price));
            }

            decided[i] = new NpcAllocation(npcIds[i], RateArmsHz[pull.Rate], CpuQuotas.Clamp(fairSharePercent[i]), pull.Gate == 1, MiddlePriority);
        }

        return new PolicyDecision(decided);
    }

    public void Learn(PolicyDecision decision, EpochYield outcome)
    {
        if (!double.IsFinite(outcome.Progress) || !double.IsFinite(outcome.Cost))
        {
            return;
        }

        _price.Follow(outcome.Progress, outcome.Cost);
        foreach (var arms in _rates.Concat(_gates))
        {
            arms.Fade(forgetting);
        }

        var present = decision.Allocations.Select(a => a.NpcId).ToHashSet();
        foreach (var gone in _pulls.Keys.Concat(_ended.Keys).Where(id => !present.Contains(id)).ToList())
        {
            Forget(gone);
        }

        foreach (var allocation in decision.Allocations)
        {
            if (!_pulls.TryGetValue(allocation.NpcId, out var pull))
            {
                continue;
            }

            if (!outcome.Npcs.TryGetValue(allocation.NpcId, out var own) || !double.IsFinite(own.Progress) || !double.IsFinite(own.Cost))
            {
                _pulls.Remove(allocation.NpcId); // an epoch without its yield: the hold is cut, its pull never paid
                continue;
            }

            if (++pull.Epochs > _settleEpochs)
            {
                (pull.Progress, pull.Cost) = (pull.Progress + own.Progress, pull.Cost + own.Cost);
            }

            if (pull.Epochs >= _holdEpochs)
            {
                _pulls.Remove(allocation.NpcId);
                _ended[allocation.NpcId] = pull;
            }
        }
    }

    /// <summary>A new brain process: the hold's epochs so far, and the class a hold that ended led to, were another brain's.</summary>
    public void Forget(int npcId)
    {
        _pulls.Remove(npcId);
        _ended.Remove(npcId);
    }

    public byte[]? SaveWeights()
    {
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream);
        var (progress, cost) = _price.Village ?? (0, 0);
        writer.Write(progress);
        writer.Write(cost);
        foreach (var arms in _rates.Concat(_gates))
        {
            foreach (var number in arms.Save())
            {
                writer.Write(number);
            }
        }

        writer.Flush();
        return stream.ToArray();
    }

    public void LoadWeights(byte[] weights)
    {
        var expected = sizeof(double) * (2 + _rates.Concat(_gates).Sum(a => ArmPayoffs.SavedLength(a.Arms)));
        if (weights.Length != expected)
        {
            throw new ArgumentException($"{weights.Length} bytes, not the {expected} of {WeightsFormat}", nameof(weights));
        }

        using var reader = new BinaryReader(new MemoryStream(weights));
        var (progress, cost) = (reader.ReadDouble(), reader.ReadDouble());
        if (cost > 0)
        {
            _price.Start(progress, cost);
        }

        foreach (var arms in _rates.Concat(_gates))
        {
            arms.Load([.. Enumerable.Range(0, ArmPayoffs.SavedLength(arms.Arms)).Select(_ => reader.ReadDouble())]);
        }
    }

    /// <summary>Books a hold that ended: its own mean epoch, then what a pull in the class the NPC came to is worth, discounted.</summary>
    private void Book(Pull pull, NpcClass cameTo)
    {
        var paid = _holdEpochs - _settleEpochs;
        var (progress, cost) = (pull.Progress / paid, pull.Cost / paid);
        if (_rates[cameTo.Index].Expected() is var (laterProgress, laterCost))
        {
            (progress, cost) = (progress + (_continuing * laterProgress), cost + (_continuing * laterCost));
        }

        _rates[pull.Class.Index].Book(pull.Rate, progress, cost);
        _gates[pull.Class.Index].Book(pull.Gate, progress, cost);
    }

    /// <summary>One NPC's hold: its class when the arm was drawn, the arm, and what it has bought and cost so far.</summary>
    private sealed class Pull(NpcClass npcClass, int rate, int gate)
    {
        public NpcClass Class { get; } = npcClass;

        public int Rate { get; } = rate;

        public int Gate { get; } = gate;

        public int Epochs { get; set; }

        /// <summary>Its progress and CPU-seconds over the epochs paid so far.</summary>
        public double Progress { get; set; }

        public double Cost { get; set; }
    }
}
