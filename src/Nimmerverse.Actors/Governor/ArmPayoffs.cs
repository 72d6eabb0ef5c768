namespace Nimmerverse.Actors.Governor;

/// <summary>
/// What each of a few arms has bought and cost per epoch, discounted: <see cref="Fade"/> multiplies all the
/// counts and sums by a forgetting factor, so the statistics follow a village that changes (its brains, its
/// price) over about 1 / (1 − forgetting) fades. An arm's payoff is read at the price asked for:
/// progress less price × cost. Kept as progress and cost rather than as payoffs, an arm tried while CPU was
/// cheap is not favoured once it is dear (the price moves with the allocation itself). An arm is drawn by
/// Thompson sampling: each arm's mean payoff is drawn from a normal around its mean, as wide as the payoffs'
/// spread within the arms over the square root of its count, and the best draw wins, so an arm is tried as
/// often as it may still be the best.
/// </summary>
public sealed class ArmPayoffs(int arms)
{
    /// <summary>Per arm: count, Σ progress, Σ cost, Σ progress², Σ cost², Σ progress × cost.</summary>
    private const int Sums = 6;

    private readonly double[] _sums = new double[arms * Sums];

    public int Arms => arms;

    /// <summary>The discounted number of epochs' means booked to <paramref name="arm"/>.</summary>
    public double Count(int arm) => _sums[arm * Sums];

    /// <summary>Its mean payoff at <paramref name="price"/>; 0 before any.</summary>
    public double Mean(int arm, double price) => Count(arm) > 0 ? Sum(arm, price) / Count(arm) : 0;

    /// <summary>What every arm pulled so far bought and cost per epoch, weighed by its count: what a pull of these arms is worth as they have been drawn; null before any.</summary>
    public (double Progress, double Cost)? Expected()
    {
        double count = 0, progress = 0, cost = 0;
        for (var at = 0; at < _sums.Length; at += Sums)
        {
            (count, progress, cost) = (count + _sums[at], progress + _sums[at + 1], cost + _sums[at + 2]);
        }

        return count > 0 ? (progress / count, cost / count) : null;
    }

    /// <summary>Leaves <paramref name="forgetting"/> of every count and sum: older pulls weigh less.</summary>
    public void Fade(double forgetting)
    {
        for (var i = 0; i < _sums.Length; i++)
        {
            _sums[i] *= forgetting;
        }
    }

    /// <summary>Books one pull of <paramref name="arm"/>: its mean progress and cost per epoch.</summary>
    public void Book(int arm, double progress, double cost)
    {
        var at = arm * Sums;
        _sums[at] += 1;
        _sums[at + 1] += progress;
        _sums[at + 2] += cost;
        _sums[at + 3] += progress * progress;
        _sums[at + 4] += cost * cost;
        _sums[at + 5] += progress * cost;
    }

    /// <summary>
    /// An arm never pulled, at random; else Thompson's draw at <paramref name="price"/>. An arm pulled long ago is
    /// not forced again: its count, decayed, widens its draw, so it is tried again as its evidence fades.
    /// </summary>
    public int Draw(Random random, double price)
    {
        var untried = Enumerable.Range(0, arms).Where(a => Count(a) == 0).ToList();
        if (untried.Count > 0)
        {
            return untried[random.Next(untried.Count)];
        }

        var spread = Spread(price);
        var best = 0;
        var bestDraw = double.NegativeInfinity;
        for (var a = 0; a < arms; a++)
        {
            var draw = Mean(a, price) + (spread / Math.Sqrt(Count(a)) * random.NextGaussian());
            if (draw > bestDraw)
            {
                (best, bestDraw) = (a, draw);
            }
        }

        return best;
    }

    /// <summary>Its statistics, for a checkpoint.</summary>
    public double[] Save() => [.. _sums];

    /// <summary>Statistics from <see cref="Save"/>.</summary>
    public void Load(ReadOnlySpan<double> saved)
    {
        if (saved.Length != _sums.Length)
        {
            throw new ArgumentException($"{saved.Length} numbers, not the {_sums.Length} of {arms} arms", nameof(saved));
        }

        saved.CopyTo(_sums);
    }

    /// <summary>How many numbers <see cref="Save"/> gives for <paramref name="arms"/> arms.</summary>
    public static int SavedLength(int arms) => arms * Sums;

    /// <summary>Σ payoff of an arm at <paramref name="price"/>.</summary>
    private double Sum(int arm, double price) => _sums[(arm * Sums) + 1] - (price * _sums[(arm * Sums) + 2]);

    /// <summary>Σ payoff² of an arm at <paramref name="price"/>.</summary>
    private double Squares(int arm, double price)
    {
        var at = arm * Sums;
        return _sums[at + 3] - (2 * price * _sums[at + 5]) + (price * price * _sums[at + 4]);
    }

    /// <summary>
    /// The payoffs' spread within the arms, pooled (each arm's squares about its own mean, over the counts less one
    /// per arm); until the arms have two pulls beyond one each, the spread of all of them, which also counts how
    /// far apart the arms are: wider, so it explores more, never less, than it should.
    /// </summary>
    private double Spread(double price)
    {
        double within = 0, freedom = 0, count = 0, sum = 0, squares = 0;
        for (var a = 0; a < arms; a++)
        {
            within += Squares(a, price) - (Sum(a, price) * Mean(a, price));
            freedom += Count(a) - 1;
            (count, sum, squares) = (count + Count(a), sum + Sum(a, price), squares + Squares(a, price));
        }

        return freedom >= 2
            ? Math.Sqrt(Math.Max(within / freedom, 0))
            : Math.Sqrt(Math.Max((squares / count) - ((sum / count) * (sum / count)), 0));
    }
}
