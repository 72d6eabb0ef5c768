using Nimmerverse.Actors.Governor;
using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Tests.Governor;

/// <summary>
/// A village whose yields are written here, for the learned governor's tests and its robustness
/// sweep in the benchmark: two kinds of NPC told apart by their role alone (small for even ids,
/// large for odd). Even ids gain 0.1 of a level per epoch at 20 Hz, some epochs after the ticks that
/// bought it; odd ids gain nothing. Every NPC pays at once 0.05 CPU-seconds per epoch for being
/// there and 0.1 more at 20 Hz, so a learning NPC's progress per CPU-second grows with its rate and
/// a converged one's falls: the learning kind is best at 20 Hz, the converged one at 1 Hz.
/// </summary>
public static class TwoKindVillage
{
    /// <summary>Gaps (learning kind's rate less the converged kind's, Hz) the tests ask for: with an immediate gain, and with a delayed one.</summary>
    public const double ImmediateGap = 8, DelayedGap = 12;

    /// <summary>Whether an NPC is of the learning kind (even ids) rather than the converged one.</summary>
    public static bool Learns(int npcId) => npcId % 2 == 0;

    /// <summary>The two kinds' mean rates in one decision.</summary>
    public static (double Learning, double Converged) Rates(IReadOnlyList<NpcAllocation> decided) =>
        (decided.Where(d => Learns(d.NpcId)).Average(d => d.TickRateHz), decided.Where(d => !Learns(d.NpcId)).Average(d => d.TickRateHz));

    /// <summary>Fair shares for the policy's signature; the learned policy decides its quotas from its features alone.</summary>
    public static double[] Shares(int npcs) => [.. Enumerable.Repeat(100.0 / npcs, npcs)];

    /// <summary>A settled brain's share of random moves: the floor a newcomer's falls to as it explores.</summary>
    public const double SettledEpsilon = 0.05;

    /// <summary>The NPCs' features: the role's one-hot, epsilon at <see cref="SettledEpsilon"/>, and all else 0.5.</summary>
    public static float[][] Features(int[] ids) =>
        [.. ids.Select(id => Enumerable.Range(0, GovernorFeatures.Count).Select(f => f switch
        {
            _ when f == GovernorFeatures.RoleAt + (Learns(id) ? 0 : 2) => 1f,
            >= GovernorFeatures.RoleAt => 0f,
            GovernorFeatures.EpsilonAt => (float)SettledEpsilon,
            _ => 0.5f,
        }).ToArray())];

    /// <summary>
    /// What an NPC yields over an epoch at <paramref name="rateHz"/>, its gain bought by <paramref name="boughtHz"/> some epochs
    /// before; a converged NPC's ticks cost <paramref name="convergedTickCost"/> of a learning one's, and buy
    /// <paramref name="convergedGain"/> per epoch at 20 Hz (nothing unless asked: it has converged).
    /// </summary>
    public static NpcYield Yield(int npcId, double rateHz, double boughtHz, double convergedTickCost = 1, double convergedGain = 0) =>
        new((Learns(npcId) ? 0.1 : convergedGain) * boughtHz / 20, 0.05 + ((Learns(npcId) ? 1 : convergedTickCost) * 0.1 * rateHz / 20));

    /// <summary>
    /// Learning NPCs that leave after <paramref name="Lifetime"/> epochs (staggered; never at 0), each replaced by a newcomer that
    /// explores for its first <paramref name="ExploreSteps"/> ticks: its epsilon falls from 1 to <see cref="SettledEpsilon"/> with them, and what they buy is nothing.
    /// With a finite <paramref name="Work"/>, a learner is done once it has gained that much: its success reads from 0.2 to
    /// 0.5 as it learns (the learning stage) and 0.9 when done (skilled), and from then on it gains nothing, as a brain
    /// that has learnt its capped curriculum. <paramref name="Together"/>, they all leave at once, every lifetime: a village
    /// that has learners for a stretch and then none.
    /// </summary>
    public sealed record Newcomers(int Lifetime, int ExploreSteps, double Work = double.PositiveInfinity, int Arriving = 1, bool Together = false)
    {
        /// <summary>The lesson the tests and the benchmark give: 600 ticks are 30 epochs at 20 Hz, and more than a lifetime of 300 at 1 Hz.</summary>
        public static Newcomers Lesson { get; } = new(Lifetime: 300, ExploreSteps: 600);

        /// <summary>
        /// And a learner is done after 60 epochs of learning at 20 Hz (1,200 ticks): 90 epochs from its arrival at 20 Hz,
        /// never within its lifetime at 5 Hz.
        /// </summary>
        public static Newcomers Finishing { get; } = Lesson with { Work = 6 };

        /// <summary>None: the learning kind learns its work from the first epoch, and then the village has nothing left to learn.</summary>
        public static Newcomers DoneLearning { get; } = new(Lifetime: 0, ExploreSteps: 0, Work: 6);

        /// <summary>The success a learner's features show, having gained <paramref name="gained"/>.</summary>
        public float Success(double gained) => gained >= Work ? 0.9f : (float)(0.2 + (0.3 * gained / Work));
    }

    /// <summary>The mean rate of <paramref name="allocations"/>, NaN for none.</summary>
    private static double MeanRate(List<NpcAllocation> allocations) => allocations.Count > 0 ? allocations.Average(a => a.TickRateHz) : double.NaN;

    /// <summary>The mean of the epochs that had NPCs of the kind (NaN where none had).</summary>
    private static double MeanOf(IEnumerable<double> rates) => rates.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();

    /// <summary>One epoch of a village, as <see cref="Steer"/> tells it: what was decided, which NPCs' ticks bought skill (learning, past exploring and not done), and the yield.</summary>
    public sealed record Epoch(int Number, IReadOnlyList<NpcAllocation> Allocations, IReadOnlySet<int> Learning, EpochYield Outcome);

    /// <summary>Remembers an NPC's rate this epoch and returns the rate of <paramref name="delay"/> epochs ago, whose gain shows now (0 before that).</summary>
    public static double Bought(Queue<double> past, double rateHz, int delay)
    {
        past.Enqueue(rateHz);
        return past.Count > delay ? past.Dequeue() : 0;
    }

    /// <summary>
    /// Runs the village of <paramref name="ids"/> under <paramref name="policy"/> for <paramref name="epochs"/>, each
    /// gain <paramref name="delay"/> epochs after the ticks that bought it. Returns the kinds' mean rates over the last 50 epochs.
    /// A <paramref name="convergedTickCost"/> below 1 makes the converged kind's lesson quieter than the learning kind's
    /// (<see cref="Yield"/>), as a brain past its round is beside newcomers in a real village; a <paramref name="progressNoise"/>
    /// above 0 adds to each NPC's progress every epoch a normal draw of that spread at 20 Hz (from <paramref name="noiseSeed"/>),
    /// and of the square root of the rate's share of it below, as a real brain's success rate wanders from epoch to epoch,
    /// the more the more it ticks; a <paramref name="convergedGain"/> above 0 makes the converged
    /// kind learn slowly for ever (<see cref="Yield"/>). <paramref name="watch"/> is told each epoch. With <paramref name="newcomers"/>, the learning kind's NPCs are
    /// newcomers that must explore before their ticks buy anything, and are replaced as they leave; the learning kind's
    /// rate is then that of the NPCs whose ticks still buy something (exploring or learning), the converged kind's that of
    /// the rest (the odd ids, and learners that are done).
    /// </summary>
    public static (double Learning, double Converged) Steer(IGovernorPolicy policy, int[] ids, int epochs, int delay, double convergedTickCost = 1, double progressNoise = 0, int noiseSeed = 0, Newcomers? newcomers = null, Action<Epoch>? watch = null, double convergedGain = 0)
    {
        var noise = new Random(noiseSeed);
        var present = ids.ToArray();
        var nextId = ids.Max() + 1;
        var past = ids.ToDictionary(id => id, _ => new Queue<double>());
        var ticked = ids.ToDictionary(id => id, _ => 0.0);
        var gained = ids.ToDictionary(id => id, _ => 0.0);
        var last = new List<(double Learning, double Converged)>();
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            for (var i = 0; newcomers is not null && epoch > 0 && i < present.Length; i++)
            {
                if (Learns(present[i]) && newcomers.Lifetime > 0 && epoch >= newcomers.Arriving && (epoch + (newcomers.Together ? 0 : i * newcomers.Lifetime / present.Length)) % newcomers.Lifetime == 0)
                {
                    present[i] = nextId + (nextId % 2); // even: of the learning kind
                    (nextId, past[present[i]], ticked[present[i]], gained[present[i]]) = (present[i] + 1, new Queue<double>(), 0, 0);
                }
            }

            var features = Features(present);
            bool Explores(int id) => newcomers is not null && Learns(id) && ticked[id] < newcomers.ExploreSteps;
            bool Done(int id) => newcomers is not null && Learns(id) && gained[id] >= newcomers.Work;
            for (var i = 0; newcomers is not null && i < present.Length; i++)
            {
                if (Learns(present[i]))
                {
                    features[i][GovernorFeatures.EpsilonAt] = (float)(1 - ((1 - SettledEpsilon) * (newcomers.ExploreSteps > 0 ? Math.Min(ticked[present[i]] / newcomers.ExploreSteps, 1) : 1)));
                    if (double.IsFinite(newcomers.Work))
                    {
                        features[i][GovernorFeatures.SuccessAt] = newcomers.Success(gained[present[i]]);
                    }
                }
            }

            using var decision = policy.Decide(present, features, Shares(present.Length));
            var buying = decision.Allocations.Where(d => Learns(d.NpcId) && !Done(d.NpcId)).ToList();
            var learning = buying.Select(d => d.NpcId).Where(id => !Explores(id)).ToHashSet();
            var idle = decision.Allocations.Except(buying).ToList();
            var yields = new Dictionary<int, NpcYield>();
            foreach (var d in decision.Allocations)
            {
                var bought = Bought(past[d.NpcId], Explores(d.NpcId) ? 0 : d.TickRateHz, delay);
                var y = Yield(d.NpcId, d.TickRateHz, Done(d.NpcId) ? 0 : bought, convergedTickCost, convergedGain); // done, it gains no more
                yields[d.NpcId] = y with { Progress = y.Progress + (progressNoise * Math.Sqrt(d.TickRateHz / 20) * noise.NextGaussian()) };
                (ticked[d.NpcId], gained[d.NpcId]) = (ticked[d.NpcId] + d.TickRateHz, gained[d.NpcId] + y.Progress);
            }

            var outcome = EpochYield.Sum(yields);
            watch?.Invoke(new Epoch(epoch, decision.Allocations, learning, outcome));
            policy.Learn(decision, outcome);
            if (epoch >= epochs - 50)
            {
                last.Add((MeanRate(buying), MeanRate(idle)));
            }
        }

        return (MeanOf(last.Select(l => l.Learning)), MeanOf(last.Select(l => l.Converged)));
    }
}
