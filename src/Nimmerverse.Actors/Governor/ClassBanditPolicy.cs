using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Governor;

/// <summary>
/// The delayed-reward bandit per class of NPC (<see cref="NpcClass"/>: role, stage and quiz standing). Each NPC
/// holds one arm, a tick rate and an LLM gate, for <see cref="DefaultHoldEpochs"/> epochs; the pull is paid the
/// NPC's mean progress and CPU per epoch over the hold's epochs after the first <see cref="DefaultSettleEpochs"/>
/// (a hold also ends, once settled, when its NPC's quiz standing changes: a brain that has just passed its round is done,
/// and the rest of a learner's hold would be spent on it; a change of stage does not, as exploring is held to reach learning,
/// nor does a round an exploring newcomer takes: it says nothing of what its rate buys, and ended there, the hold is paid no exploring)
/// (the rate's ramp and what the ticks buy a few epochs late fall inside the hold, so the arm is credited with its
/// own effect and not with the next arm's), and then how much more the class the NPC has come to is worth than the
/// one it held the arm in, discounted by the hold's length (<see cref="ValueOf"/>): a newcomer's ticks buy little
/// while it explores (in the unit villages, nothing) but bring it to the stages past exploring, whose ticks buy skill or are done. Only the difference is paid: a hold
/// that leaves its NPC in its role and stage is paid its own epochs alone, so the worth, which drifts as the village
/// learns, adds no spread to the arms it does not tell apart. The worth is kept by role and stage, not by quiz
/// standing: a skilled brain that fails a round it passed before is no learner, and the worth of the brains that
/// fail their rounds because they are still learning is not its to be paid. Arms are judged at a price (<see cref="Price"/>,
/// the best ratio the village's recent NPC-epochs could have made by their own epochs), as the actor-critic's rewards are: progress less price × CPU.
/// Pulls are booked per class, the rate as a curve in the rate (<see cref="RateCurve"/>: every pull informs every rate)
/// and the gate as two arms (<see cref="ArmPayoffs"/>), all faded every epoch and drawn by Thompson sampling; an exploring
/// newcomer is not drawn an arm but runs at the fastest rate with its gate open (<see cref="ExploringRateHz"/>, <see cref="ExploringGate"/>).
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
public sealed partial class ClassBanditPolicy(int seed, int holdEpochs = ClassBanditPolicy.DefaultHoldEpochs, int settleEpochs = ClassBanditPolicy.DefaultSettleEpochs, double forgetting = ClassBanditPolicy.DefaultForgetting, double discount = ClassBanditPolicy.DefaultDiscount) : IGovernorPolicy
{
    /// <summary>Half a minute at the default epoch: the rate's ramp (2 Hz an epoch) takes up to ten.</summary>
    public const int DefaultHoldEpochs = 30;

    public const int DefaultSettleEpochs = 10;

    /// <summary>About the last 500 epochs count: longer than a newcomer's youth, shorter than a village's maturing.</summary>
    public const double DefaultForgetting = 0.998;

    /// <summary>The actor-critic's: about a hundred epochs ahead count, three to four holds.</summary>
    public const double DefaultDiscount = 0.99;

    /// <summary>
    /// A hold drawn while its NPC explores goes on until the NPC has left exploring, up to this many holds' epochs. A
    /// newcomer's exploring outlasts a hold at the fastest rate (the benchmark's brains: 55-60 epochs at 20 Hz to an
    /// epsilon of 0.1, the rate's ramp included), and a hold that ends short of learning is paid nothing for the exploring it did.
    /// </summary>
    public const int ExploringHolds = 4;

    /// <summary>The rates it chooses among: the grid the fixed baselines are searched on.</summary>
    public static IReadOnlyList<double> RateArmsHz { get; } = [TickRates.MinHz, 2, 5, 10, TickRates.MaxHz];

    /// <summary>
    /// An exploring newcomer's rate, the fastest, not learnt. Its exploring ends after a count of ticks (its share of random
    /// moves falls per step), so a slower rate only spreads the same ticks over more epochs, each paying the brain's fixed
    /// cost, and puts off the learning they lead to; and the most a newcomer whose learning turns out worthless can cost is
    /// those ticks, a minute at 20 Hz, after which its class's curve slows it. Learnt, as arms per rate, it cost more than
    /// that: an arm that had no pull was drawn first, and a newcomer drawn a slow one explored slowly for up to
    /// <see cref="ExploringHolds"/> holds (bench/README.md, runs 42-55).
    /// </summary>
    public static double ExploringRateHz => TickRates.MaxHz;

    /// <summary>
    /// An exploring newcomer's LLM gate, open, not learnt, as its rate is not (<see cref="ExploringRateHz"/>): the cortex's
    /// suggestion takes the place of one of the random moves the brain would make anyway, and costs it no CPU. Learnt, the
    /// arm never pulled was drawn first, as the rates' were: after a start from trails of a village whose newcomers all
    /// had their gates open, every newcomer explored with its gate closed for as long as its exploring lasted (bench/README.md, run 58).
    /// </summary>
    public const int ExploringGate = 1;

    private readonly int _holdEpochs = holdEpochs >= 1 ? holdEpochs : throw new ArgumentOutOfRangeException(nameof(holdEpochs), holdEpochs, "at least one epoch");
    private readonly int _settleEpochs = settleEpochs >= 0 && settleEpochs < holdEpochs ? settleEpochs : throw new ArgumentOutOfRangeException(nameof(settleEpochs), settleEpochs, "from 0 to fewer than the hold's epochs");
    private readonly Random _random = new(seed);
    private readonly RateCurve?[] _rates = PastExploring(() => new RateCurve(RateArmsHz));
    private readonly RateCurve[] _own = [.. Enumerable.Range(0, NpcClass.Count).Select(_ => new RateCurve(RateArmsHz))]; // the holds' own epochs, uncredited: the price's
    private readonly ArmPayoffs?[] _gates = PastExploring(() => new ArmPayoffs(2));
    private readonly ArmPayoffs[] _values = [.. Enumerable.Range(0, NpcClass.StagedCount).Select(_ => new ArmPayoffs(1))];
    private readonly double _discount = discount is > 0 and < 1 ? discount : throw new ArgumentOutOfRangeException(nameof(discount), discount, "between 0 and 1");
    private readonly Dictionary<int, Pull> _pulls = [];
    private readonly Dictionary<int, Pull> _ended = []; // held to the end, booked once the class the NPC came to is seen
    private readonly List<(Pull Pull, NpcClass CameTo, int Waited)> _unvalued = []; // came to a class of no known worth yet
    private readonly int _patience = forgetting is > 0 and <= 1 // epochs after which a pull's evidence has faded to 1/e
        ? forgetting < 1 ? (int)Math.Round(1 / (1 - forgetting)) : int.MaxValue
        : throw new ArgumentOutOfRangeException(nameof(forgetting), forgetting, "above 0, at most 1");
    private readonly double[] _occupancy = new double[NpcClass.Count]; // NPC-epochs per class, faded as the curves are: the price's horizon
    private readonly VillagePrice _price = new();
    private double? _bestRatio, _presentBestRatio;

    /// <summary>One learner per class, null for an exploring class: neither its rate nor its gate is learnt (<see cref="ExploringRateHz"/>, <see cref="ExploringGate"/>).</summary>
    private static T?[] PastExploring<T>(Func<T> learner)
        where T : class => [.. Enumerable.Range(0, NpcClass.Count).Select(i => NpcClass.AtIndex(i).Exploring ? null : learner())];

    /// <summary>The rate curves of the classes past exploring, in the order of their classes.</summary>
    private IEnumerable<RateCurve> LearntRates => _rates.OfType<RateCurve>();

    /// <summary>The gate arms of the classes past exploring, in the order of their classes.</summary>
    private IEnumerable<ArmPayoffs> LearntGates => _gates.OfType<ArmPayoffs>();

    /// <summary>What its checkpoints hold: the payoffs of these classes and arms, and the price.</summary>
    public static string WeightsFormat => $"class-bandit/classes{NpcClass.Count}/rate-curve{RateCurve.Terms}-{RateCurve.ProgressShapes}-{string.Join('-', RateArmsHz)}/gates2/staged-values/long-run-price/own-curves/occupancy/exploring-at-fastest/learnt-rates-only/learnt-gates-only";

    public string Name => GovernorSettings.ClassBandit;

    /// <summary>
    /// Below this share of the long run's ratio, the best the present NPCs could make is treated as nothing left to buy.
    /// A village that has learnt all it can is indifferent, by its ratio, to every rate, and its brains' noise would pick
    /// them; a CPU-second it has nothing to spend on keeps the worth it has had here, so the village runs slowly.
    /// </summary>
    public const double IdleShare = 0.1;

    /// <summary>
    /// What a CPU-second must buy: the best ratio the village's NPC-epochs over the curves' horizon (each class's count faded
    /// as the curves fade their pulls) could make at the rates their classes' curves favour (<see cref="BestRatio"/>). Of a
    /// horizon, not of the NPCs of the last decision: the ratio is the village's over a stretch of epochs, and newcomers that
    /// learn fast for a minute raise the best ratio of that minute far above the stretch's, which would slow every other
    /// brain whose epochs still beat the stretch's ratio. Curves of the holds' own epochs, not of what they were paid: the worth a
    /// hold is credited with is made by the stage it leads to and counted there again, so credited curves would raise the
    /// price with exploring newcomers and lower it with learners near their end. That is the ratio the village can still
    /// reach: the recent ratio falls to nothing as a village's brains finish learning, though the rest could still learn;
    /// the long run's stays at an easy start's, above what brains short of their round can make. Where the best the NPCs
    /// present could make is under <see cref="IdleShare"/> of the long run's, they have nothing left to buy whatever the
    /// horizon made, and the price rises toward the long run's as that best falls to nothing: price = max(horizon's best,
    /// long run × (1 − x²)), x the present's best over <see cref="IdleShare"/> of the long run; continuous, so no village flips
    /// between the two, and flat near nothing, so a best that is its brains' noise does not lower it much. Until a class of
    /// its horizon has a curve, the recent ratio (<see cref="VillagePrice"/>).
    /// </summary>
    public double Price => PriceAt(_bestRatio);

    double? IGovernorPolicy.Price => Price;

    /// <summary>The price where the horizon's best ratio is <paramref name="best"/> (<see cref="Price"/>).</summary>
    private double PriceAt(double? best) => best is { } b ? Math.Max(b, IdleFloor(_presentBestRatio ?? b, _price.LongRunValue)) : _price.Value;

    private static double IdleFloor(double best, double longRun) =>
        longRun > 0 && best < IdleShare * longRun ? longRun * (1 - Math.Pow(best / (IdleShare * longRun), 2)) : 0;

    /// <summary>A class's rate curve: what it has learnt of that class; an exploring class has none (<see cref="ExploringRateHz"/>).</summary>
    public RateCurve? RatesOf(NpcClass npcClass) => _rates[npcClass.Index];

    /// <summary>A class's gate arms (0 closed, 1 open); an exploring class has none (<see cref="ExploringGate"/>).</summary>
    public ArmPayoffs? GatesOf(NpcClass npcClass) => _gates[npcClass.Index];

    /// <summary>
    /// What a hold in the class's role and stage is worth (<see cref="NpcClass.StagedIndex"/>), as one arm: its own epochs and
    /// then, discounted, the worth of the role and stage it led to (progress and CPU per epoch, whatever arm was drawn): their
    /// value under the bandit's own draws.
    /// </summary>
    public ArmPayoffs ValueOf(NpcClass npcClass) => _values[npcClass.StagedIndex];

    public PolicyDecision Decide(IReadOnlyList<int> npcIds, float[][] features, IReadOnlyList<double> fairSharePercent)
    {
        var classes = features.Select(NpcClass.Of).ToArray();
        foreach (var npcClass in classes)
        {
            _occupancy[npcClass.Index]++;
        }

        var expected = _own.Select(c => c.ExpectedAtEachRate()).ToArray();
        _bestRatio = BestRatio.OfArms(expected.Zip(_occupancy));
        _presentBestRatio = BestRatio.OfArms(classes.CountBy(c => c.Index).Select(c => (expected[c.Key], (double)c.Value)));
        var decided = new NpcAllocation[npcIds.Count];
        for (var i = 0; i < npcIds.Count; i++)
        {
            if (_pulls.TryGetValue(npcIds[i], out var held) && held.Epochs > _settleEpochs
                && ((held.Class.StagedIndex == classes[i].StagedIndex && held.Class.Quiz != classes[i].Quiz && !held.Class.Exploring) || (held.Epochs >= _holdEpochs && !classes[i].Exploring)))
            {
                End(npcIds[i], held); // its quiz standing changed past exploring (the rest of the hold would be paid another class's epochs), or it has explored
            }

            if (!_pulls.TryGetValue(npcIds[i], out var pull))
            {
                var npcClass = classes[i];
                if (_ended.Remove(npcIds[i], out var ended))
                {
                    if (ended.Class.StagedIndex == npcClass.StagedIndex || ValueOf(npcClass).Count(0) > 0)
                    {
                        Book(ended, npcClass);
                    }
                    else
                    {
                        _unvalued.Add((ended, npcClass, 0));
                    }
                }

                _pulls[npcIds[i]] = pull = new Pull(npcClass, DrawRate(npcClass, expected), _gates[npcClass.Index]?.Draw(_random, Price) ?? ExploringGate);
            }

            decided[i] = new NpcAllocation(npcIds[i], pull.RateHz, CpuQuotas.Clamp(fairSharePercent[i]), pull.Gate == 1, LlmPriorities.Middle);
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
        foreach (var curve in LearntRates.Concat(_own))
        {
            curve.Fade(forgetting);
        }

        for (var i = 0; i < _occupancy.Length; i++)
        {
            _occupancy[i] *= forgetting;
        }

        foreach (var arms in LearntGates.Concat(_values))
        {
            arms.Fade(forgetting);
        }

        BookUnvalued();

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

            if (pull.Epochs >= (pull.Class.Exploring ? _holdEpochs * ExploringHolds : _holdEpochs)) // one drawn while exploring ends at a decision once its NPC has explored
            {
                End(allocation.NpcId, pull);
            }
        }
    }

    /// <summary>
    /// Thompson sampling of the whole question, not of the curve alone: the class's curves drawn from their posterior by one
    /// draw (the credited one it is judged by and its own, over the same pulls), and the price that draw makes, every other
    /// class at its mean. At a price of the means, a class most of the horizon is in is priced at about its own best ratio,
    /// where its rates differ by little more than what a brain costs at any rate; a draw of its curve alone, high or low,
    /// then turned it between its fastest and slowest rates by a coin's toss. Drawn with its curve, the price moves with it.
    /// </summary>
    private double DrawRate(NpcClass npcClass, (double Progress, double Cost)[]?[] expected)
    {
        if (_rates[npcClass.Index] is not { } curve)
        {
            return ExploringRateHz;
        }

        if (curve.Untried(_random) is { } untried)
        {
            return RateArmsHz[untried];
        }

        var draw = RateCurve.PosteriorDraw.Next(_random);
        var drawnOwn = _own[npcClass.Index].DrawnAtEachRate(draw) ?? expected[npcClass.Index];
        var world = expected.Select((arms, index) => index == npcClass.Index ? drawnOwn : arms);
        return RateArmsHz[RateCurve.Best(curve.DrawnAtEachRate(draw)!, PriceAt(BestRatio.OfArms(world.Zip(_occupancy))))];
    }

    /// <summary>A new brain process: the hold's epochs so far, and the class a hold that ended led to, were another brain's.</summary>
    public void Forget(int npcId)
    {
        _pulls.Remove(npcId);
        _ended.Remove(npcId);
    }

    /// <summary>
    /// Books a hold that ended. Its arms are paid its own mean epoch and, discounted, what the class the NPC came to is
    /// worth beyond the class it held them in (nothing while either is unknown); its class's worth, its own mean epoch
    /// and, discounted, the whole worth of the class it came to.
    /// </summary>
    private void Book(Pull pull, NpcClass cameTo)
    {
        var (progress, cost) = PaidMean(pull);
        var continuing = ContinuingAfter(pull.Epochs);
        var was = ValueOf(pull.Class).Expected() ?? (0, 0);
        var (laterProgress, laterCost) = ValueOf(cameTo).Expected() ?? was;
        var (gainedProgress, gainedCost) = (continuing * (laterProgress - was.Progress), continuing * (laterCost - was.Cost));
        BookRate(pull.Class, pull.RateHz, progress + gainedProgress, cost + gainedCost);
        _gates[pull.Class.Index]?.Book(pull.Gate, progress + gainedProgress, cost + gainedCost);
        ValueOf(pull.Class).Book(0, progress + (continuing * laterProgress), cost + (continuing * laterCost));
    }

    /// <summary>Books a pull at a rate to its class's curve, where it has one (<see cref="ExploringRateHz"/>).</summary>
    private void BookRate(NpcClass npcClass, double rateHz, double progress, double cost) => _rates[npcClass.Index]?.BookAt(rateHz, progress, cost);

    /// <summary>
    /// Ends a hold: its own epochs are booked to its class's price curve at once, and it waits for the class its NPC comes
    /// to (seen at the next decision) to be booked to its arms.
    /// </summary>
    private void End(int npcId, Pull pull)
    {
        var (progress, cost) = PaidMean(pull);
        _own[pull.Class.Index].BookAt(pull.RateHz, progress, cost);
        _pulls.Remove(npcId);
        _ended[npcId] = pull;
    }

    /// <summary>A hold's mean progress and CPU per epoch over its epochs after the settling ones.</summary>
    private (double Progress, double Cost) PaidMean(Pull pull) => (pull.Progress / (pull.Epochs - _settleEpochs), pull.Cost / (pull.Epochs - _settleEpochs));

    /// <summary>What a payoff <paramref name="epochs"/> later is worth: the discount to that power.</summary>
    private double ContinuingAfter(int epochs) => Math.Pow(_discount, epochs);

    /// <summary>
    /// Books the holds whose next class has come to have a worth, and drops those that waited past the forgetting horizon.
    /// Booked at once, a newcomer's first holds to reach the learning stage would be paid nothing for it, before any
    /// hold there had ended, and the rate that got it there would look the worst.
    /// </summary>
    private void BookUnvalued()
    {
        for (var i = _unvalued.Count - 1; i >= 0; i--)
        {
            var (pull, cameTo, waited) = _unvalued[i];
            if (ValueOf(cameTo).Count(0) > 0)
            {
                Book(pull, cameTo);
            }

            if (ValueOf(cameTo).Count(0) > 0 || waited + 1 >= _patience)
            {
                _unvalued.RemoveAt(i);
            }
            else
            {
                _unvalued[i] = (pull, cameTo, waited + 1);
            }
        }
    }

    /// <summary>One NPC's hold: its class when the arm was drawn, the arm (a rate and a gate), and what it has bought and cost so far.</summary>
    private sealed class Pull(NpcClass npcClass, double rateHz, int gate)
    {
        public NpcClass Class { get; } = npcClass;

        public double RateHz { get; } = rateHz;

        public int Gate { get; } = gate;

        public int Epochs { get; set; }

        /// <summary>Its progress and CPU-seconds over the epochs paid so far.</summary>
        public double Progress { get; set; }

        public double Cost { get; set; }
    }
}
