namespace Nimmerverse.Actors.Governor;

/// <summary>
/// What a class of NPC buys and costs per epoch as curves in its tick rate (as a share of the fastest arm), fitted by least
/// squares to every pull booked, each faded as <see cref="ArmPayoffs"/> fades its pulls. Progress is a line through the
/// origin: a brain that does not tick learns nothing, and where within a class (a role at a stage) each tick buys about
/// the same, one number, the progress of an epoch at the fastest rate, says whether its ticks buy anything, and every
/// pull at every rate informs it. CPU is a quadratic in the rate: a brain costs something per epoch whatever its rate,
/// and that fixed part is why, where ticks buy skill, the fastest rate makes the best ratio, and where they buy none,
/// the slowest. A free constant in the progress let an epoch's noise, many times its mean, make the slowest rate's
/// ratio look best. Where ticks buy less as they come faster, the line cannot say so (docs/learning.md).
/// Kept as progress and cost, so it is judged at the price asked for, like the arms. The slope, and the CPU's slope and
/// bend, have a ridge prior at zero (<see cref="SlopeRidge"/>, <see cref="BendRidge"/>): one pull makes progress in
/// proportion to the rate and a flat CPU, and the CPU curve bends as pulls at other rates come. An arm is drawn by
/// Thompson sampling on the progress slope (its normal posterior, as wide as the pulls' spread about the line) at the
/// CPU curve's mean, which is measured, not guessed; until pulls at <see cref="Terms"/> rates exist, an untried one at random.
/// </summary>
public sealed class RateCurve
{
    /// <summary>The CPU curve's terms: 1, the rate's share of the fastest, and its square; the progress line's is the share.</summary>
    public const int Terms = 3;

    /// <summary>
    /// The prior precisions at zero on the slopes and on the CPU's bend, in pulls at share 1. The slopes' are next to
    /// nothing; the bend's asks for evidence before the CPU curve leaves a line.
    /// </summary>
    public const double SlopeRidge = 0.01, BendRidge = 1;

    /// <summary>After the arms' counts: XᵀX (<see cref="Terms"/>²), Xᵀcost, Σ share × progress, Σ progress².</summary>
    private const int Fitted = (Terms * Terms) + Terms + 2;

    private readonly double _fastestHz;
    private readonly double[][] _terms; // per arm: 1, share, share²
    private readonly double[] _sums;

    public RateCurve(IReadOnlyList<double> ratesHz)
    {
        if (ratesHz.Count < Terms || ratesHz.Any(r => !(r > 0)))
        {
            throw new ArgumentException($"at least {Terms} rates above 0 Hz", nameof(ratesHz));
        }

        _fastestHz = ratesHz.Max();
        _terms = [.. ratesHz.Select(r => new[] { 1, r / _fastestHz, r / _fastestHz * (r / _fastestHz) })];
        _sums = new double[ratesHz.Count + Fitted];
    }

    public int Arms => _terms.Length;

    /// <summary>The discounted number of pulls booked at <paramref name="arm"/>.</summary>
    public double Count(int arm) => _sums[arm];

    /// <summary>The curves' payoff at <paramref name="arm"/> and <paramref name="price"/> (their posterior means); 0 before any pull.</summary>
    public double Mean(int arm, double price) => Fit() is { } fit ? Payoff(arm, fit.Slope, fit.Cost, price) : 0;

    /// <summary>What the curves say a pull at each arm buys and costs per epoch (their posterior means); null before any pull.</summary>
    public (double Progress, double Cost)[]? ExpectedAtEachRate() =>
        Fit() is { } fit ? [.. _terms.Select(x => (x[1] * fit.Slope, Dot(x, fit.Cost)))] : null;

    /// <summary>Leaves <paramref name="forgetting"/> of every count and sum: older pulls weigh less.</summary>
    public void Fade(double forgetting)
    {
        for (var i = 0; i < _sums.Length; i++)
        {
            _sums[i] *= forgetting;
        }
    }

    /// <summary>Books one pull at <paramref name="arm"/>: its mean progress and cost per epoch.</summary>
    public void Book(int arm, double progress, double cost) => Book(_terms[arm], arm, progress, cost);

    /// <summary>
    /// Books a pull at any rate, such as a recorded village's (an offline start): the curve takes it where it was,
    /// and it counts as a pull of the nearest arm.
    /// </summary>
    public void BookAt(double rateHz, double progress, double cost)
    {
        var share = rateHz / _fastestHz;
        var nearest = Enumerable.Range(0, Arms).MinBy(a => Math.Abs(_terms[a][1] - share));
        Book([1, share, share * share], nearest, progress, cost);
    }

    private void Book(double[] x, int arm, double progress, double cost)
    {
        _sums[arm] += 1;
        var at = Arms;
        for (var i = 0; i < Terms; i++)
        {
            for (var j = 0; j < Terms; j++)
            {
                _sums[at++] += x[i] * x[j];
            }
        }

        for (var i = 0; i < Terms; i++)
        {
            _sums[at++] += x[i] * cost;
        }

        _sums[at] += x[1] * progress;
        _sums[at + 1] += progress * progress;
    }

    /// <summary>An untried arm at random until <see cref="Terms"/> have pulls; then the best arm at <paramref name="price"/> on a progress slope drawn from its posterior.</summary>
    public int Draw(Random random, double price)
    {
        var untried = Enumerable.Range(0, Arms).Where(a => Count(a) == 0).ToList();
        if (Arms - untried.Count < Terms)
        {
            return untried[random.Next(untried.Count)];
        }

        var fit = Fit()!.Value;
        var slope = fit.Slope + (fit.SlopeSpread * random.NextGaussian());
        return Enumerable.Range(0, Arms).MaxBy(a => Payoff(a, slope, fit.Cost, price));
    }

    /// <summary>Its statistics, for a checkpoint.</summary>
    public double[] Save() => [.. _sums];

    /// <summary>Statistics from <see cref="Save"/>.</summary>
    public void Load(ReadOnlySpan<double> saved)
    {
        if (saved.Length != _sums.Length)
        {
            throw new ArgumentException($"{saved.Length} numbers, not the {_sums.Length} of a curve over {Arms} rates", nameof(saved));
        }

        saved.CopyTo(_sums);
    }

    /// <summary>How many numbers <see cref="Save"/> gives for <paramref name="arms"/> rates.</summary>
    public static int SavedLength(int arms) => arms + Fitted;

    private double Gram(int i, int j) => _sums[Arms + (i * Terms) + j];

    private double Cost(int i) => _sums[Arms + (Terms * Terms) + i];

    private double Payoff(int arm, double slope, double[] cost, double price) => (_terms[arm][1] * slope) - (price * Dot(_terms[arm], cost));

    /// <summary>
    /// The ridge fits: the progress line's slope and its posterior's standard deviation (the pulls' spread about the line
    /// over the counts less one; until there are two beyond it, their root mean square, which is wider: it explores more,
    /// never less), and the CPU curve's coefficients. Null before any pull.
    /// </summary>
    private (double Slope, double SlopeSpread, double[] Cost)? Fit()
    {
        var count = Gram(0, 0);
        if (count <= 0)
        {
            return null;
        }

        var at = Arms + (Terms * Terms) + Terms;
        var (shareTimesProgress, squares) = (_sums[at], _sums[at + 1]);
        var precision = Gram(1, 1) + SlopeRidge;
        var slope = shareTimesProgress / precision;
        var residual = squares - (slope * shareTimesProgress); // Σ(y − s·β)² plus the prior's penalty: a little wider, never narrower
        var spread = Math.Sqrt(Math.Max(count - 1 >= 2 ? residual / (count - 1) : squares / count, 0));

        var cholesky = Cholesky(CostPrecision());
        var cost = BackSubstitute(cholesky, ForwardSubstitute(cholesky, [.. Enumerable.Range(0, Terms).Select(Cost)]));
        return (slope, spread / Math.Sqrt(precision), cost);
    }

    /// <summary>XᵀX plus the prior's precisions on the CPU curve's slope and bend.</summary>
    private double[,] CostPrecision()
    {
        var a = new double[Terms, Terms];
        for (var i = 0; i < Terms; i++)
        {
            for (var j = 0; j < Terms; j++)
            {
                a[i, j] = Gram(i, j) + (i != j ? 0 : i == 1 ? SlopeRidge : i == 2 ? BendRidge : 0);
            }
        }

        return a;
    }

    private static double Dot(double[] x, double[] y) => x.Zip(y, (a, b) => a * b).Sum();

    /// <summary>L with L Lᵀ = <paramref name="a"/>, symmetric and positive definite (the prior makes it so once a pull is booked).</summary>
    private static double[,] Cholesky(double[,] a)
    {
        var l = new double[Terms, Terms];
        for (var i = 0; i < Terms; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                var sum = a[i, j];
                for (var k = 0; k < j; k++)
                {
                    sum -= l[i, k] * l[j, k];
                }

                l[i, j] = i == j ? Math.Sqrt(Math.Max(sum, 1e-300)) : sum / l[j, j];
            }
        }

        return l;
    }

    /// <summary>Solves L z = <paramref name="b"/>.</summary>
    private static double[] ForwardSubstitute(double[,] l, double[] b)
    {
        var z = new double[Terms];
        for (var i = 0; i < Terms; i++)
        {
            z[i] = b[i];
            for (var k = 0; k < i; k++)
            {
                z[i] -= l[i, k] * z[k];
            }

            z[i] /= l[i, i];
        }

        return z;
    }

    /// <summary>Solves Lᵀ x = <paramref name="z"/>: with z standard normal, x is normal with covariance (L Lᵀ)⁻¹.</summary>
    private static double[] BackSubstitute(double[,] l, double[] z)
    {
        var x = new double[Terms];
        for (var i = Terms - 1; i >= 0; i--)
        {
            x[i] = z[i];
            for (var k = i + 1; k < Terms; k++)
            {
                x[i] -= l[k, i] * x[k];
            }

            x[i] /= l[i, i];
        }

        return x;
    }
}
