namespace Nimmerverse.Actors.Governor;

/// <summary>
/// What a class of NPC buys and costs per epoch as a curve in its tick rate: a quadratic in the rate (as a share of the
/// fastest arm), fitted by least squares to every pull booked, each faded as <see cref="ArmPayoffs"/> fades its pulls.
/// Where separate arms learn each rate from its own pulls only, every pull here informs every rate, and most of all the
/// slope between the slowest and the fastest: a class of a few brains, a few dozen pulls in its memory, can tell 1 Hz
/// from 5 Hz by a curve where five separate means cannot (docs/learning.md, "Noise").
/// Kept as progress and cost, so it is judged at the price asked for, like the arms. The slope and the bend have a
/// ridge prior at zero (<see cref="SlopeRidge"/>, <see cref="BendRidge"/>): one pull makes a flat curve at its payoff,
/// and the curve bends as pulls at other rates come. An arm is drawn by Thompson sampling on the coefficients (their
/// normal posterior, as wide as the pulls' spread about the curve); until pulls at <see cref="Terms"/> rates exist, an
/// untried one at random.
/// </summary>
public sealed class RateCurve
{
    /// <summary>The curve's terms: 1, the rate's share of the fastest, and its square.</summary>
    public const int Terms = 3;

    /// <summary>
    /// The prior precisions at zero on the slope and on the bend, in pulls at share 1. The slope's is next to nothing; the
    /// bend's asks for evidence before the curve leaves a line: a straight line needs fewer pulls to tell 1 Hz from 5 Hz.
    /// </summary>
    public const double SlopeRidge = 0.01, BendRidge = 1;

    /// <summary>After the arms' counts: XᵀX (<see cref="Terms"/>²), Xᵀprogress, Xᵀcost, then Σ progress², Σ cost², Σ progress × cost.</summary>
    private const int Fitted = (Terms * Terms) + Terms + Terms + 3;

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

    /// <summary>The curve's payoff at <paramref name="arm"/> and <paramref name="price"/> (its posterior mean); 0 before any pull.</summary>
    public double Mean(int arm, double price) => Fit(price) is { } fit ? Dot(_terms[arm], fit.Coefficients) : 0;

    /// <summary>What the curve says a pull at each arm buys and costs per epoch (its posterior means); null before any pull.</summary>
    public (double Progress, double Cost)[]? ExpectedAtEachRate()
    {
        if (Gram(0, 0) <= 0)
        {
            return null;
        }

        var cholesky = Cholesky(Precision());
        double[] Solve(Func<int, double> sums) => BackSubstitute(cholesky, ForwardSubstitute(cholesky, [.. Enumerable.Range(0, Terms).Select(sums)]));
        var (progress, cost) = (Solve(Progress), Solve(Cost));
        return [.. _terms.Select(x => (Dot(x, progress), Dot(x, cost)))];
    }

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
            _sums[at + i] += x[i] * progress;
            _sums[at + Terms + i] += x[i] * cost;
        }

        at += 2 * Terms;
        _sums[at] += progress * progress;
        _sums[at + 1] += cost * cost;
        _sums[at + 2] += progress * cost;
    }

    /// <summary>An untried arm at random until <see cref="Terms"/> have pulls; then the best arm on a curve drawn from the posterior at <paramref name="price"/>.</summary>
    public int Draw(Random random, double price)
    {
        var untried = Enumerable.Range(0, Arms).Where(a => Count(a) == 0).ToList();
        if (Arms - untried.Count < Terms)
        {
            return untried[random.Next(untried.Count)];
        }

        var fit = Fit(price)!.Value;
        var noise = new double[Terms];
        for (var i = 0; i < Terms; i++)
        {
            noise[i] = random.NextGaussian();
        }

        var drawn = fit.Coefficients.Zip(BackSubstitute(fit.Cholesky, noise), (mean, spread) => mean + (fit.Spread * spread)).ToArray();
        return Enumerable.Range(0, Arms).MaxBy(a => Dot(_terms[a], drawn));
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

    private double Progress(int i) => _sums[Arms + (Terms * Terms) + i];

    private double Cost(int i) => _sums[Arms + (Terms * Terms) + Terms + i];

    /// <summary>
    /// The ridge fit at <paramref name="price"/>: coefficients (XᵀX + prior)⁻¹ Xᵀpayoff, the Cholesky factor of that
    /// matrix, and the pulls' spread about the curve (over the counts less the terms; until there are two beyond them,
    /// the spread of all pulls about their mean, which is wider: it explores more, never less). Null before any pull.
    /// </summary>
    private (double[] Coefficients, double[,] Cholesky, double Spread)? Fit(double price)
    {
        var count = Gram(0, 0);
        if (count <= 0)
        {
            return null;
        }

        var at = Arms + (Terms * Terms) + (2 * Terms);
        var squares = _sums[at] - (2 * price * _sums[at + 2]) + (price * price * _sums[at + 1]);
        var xy = Enumerable.Range(0, Terms).Select(i => Progress(i) - (price * Cost(i))).ToArray();
        var cholesky = Cholesky(Precision());
        var coefficients = BackSubstitute(cholesky, ForwardSubstitute(cholesky, xy));
        var residual = squares - Dot(coefficients, xy); // Σ(y − x·β)² plus the prior's penalty: a little wider, never narrower
        var spread = count - Terms >= 2
            ? Math.Sqrt(Math.Max(residual / (count - Terms), 0))
            : Math.Sqrt(Math.Max((squares / count) - (xy[0] / count * (xy[0] / count)), 0));
        return (coefficients, cholesky, spread);
    }

    /// <summary>XᵀX plus the prior's precisions on the slope and the bend.</summary>
    private double[,] Precision()
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
