namespace Nimmerverse.Actors.Governor;

/// <summary>
/// What a class of NPC buys and costs per epoch as curves in its tick rate (as a share of the fastest arm), fitted by least
/// squares to every pull booked, each faded as <see cref="ArmPayoffs"/> fades its pulls. Progress goes through the origin:
/// a brain that does not tick learns nothing. It is a line, one number (the progress of an epoch at the fastest rate)
/// that every pull at every rate informs, or a line with a bend, for ticks that buy less as they come faster; each is
/// weighed by how well it explains the pulls against what its extra freedom costs (their Bayes factor), so the bend is
/// believed only where the pulls show it, not where an epoch's noise, many times its mean, would draw one (docs/learning.md).
/// A pull's progress is weighed by the inverse of its rate's share: an epoch's progress is the sum of what its ticks
/// bought, so its noise's variance grows with them, and a slow pull tells the slope as surely per tick as a fast one.
/// CPU is a quadratic in the rate: a brain costs something per epoch whatever its rate, and that fixed part is why, where
/// ticks buy skill in proportion, the fastest rate makes the best ratio, and where they buy none, the slowest.
/// Kept as progress and cost, so it is judged at the price asked for, like the arms. Slopes and bends have a ridge prior
/// at zero (<see cref="SlopeRidge"/>, <see cref="CostBendRidge"/>, <see cref="ProgressBendRidge"/>): one pull makes
/// progress in proportion to the rate and a flat CPU, and the curves bend as pulls at other rates come. An arm is drawn
/// by Thompson sampling on the progress (a shape drawn by its weight, then its coefficients from their normal posterior,
/// as wide as the pulls' spread about the curve) at the CPU curve's mean, which is measured, not guessed; until pulls at
/// <see cref="Terms"/> rates exist, an untried one at random.
/// </summary>
public sealed class RateCurve
{
    /// <summary>The CPU curve's terms: 1, the rate's share of the fastest, and its square; the progress curve's are the last two.</summary>
    public const int Terms = 3;

    /// <summary>The progress curve's shapes, as the checkpoint's format names them.</summary>
    public const string ProgressShapes = "line-or-bend-from-0-noise-by-rate";

    /// <summary>
    /// The prior precisions at zero on the slopes and on the bends, in pulls at share 1 (the progress's scaled by its
    /// noise). The slopes' are next to nothing. The CPU's bend asks for evidence before its curve leaves a line. The
    /// progress's, ten pulls, keeps a bend to about a third of a pull's noise, the size of what a class's epoch buys: a
    /// weaker one made the bend's Occam factor so large that a bend the pulls showed was not believed (RateCurveTests).
    /// </summary>
    public const double SlopeRidge = 0.01, CostBendRidge = 1, ProgressBendRidge = 10;

    /// <summary>After the arms' counts: XᵀX (<see cref="Terms"/>²), Xᵀcost, Σ progress, Σ share × progress, Σ progress² / share.</summary>
    private const int Fitted = (Terms * Terms) + Terms + 3;

    private readonly double _fastestHz;
    private readonly double[][] _terms; // per arm: 1, share, share²
    private readonly double[] _sums;
    private (Shape Line, Shape Bend, double BendWeight, double Spread, double[] Cost)? _fit; // of the sums as they are, while _fitIsCurrent
    private bool _fitIsCurrent;

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

    /// <summary>
    /// What the curves say a pull at each arm buys and costs per epoch: their posterior means, progress by the likelier
    /// shape (the two averaged by weight bend where neither does, and in noise priced slow rates best); null before any pull.
    /// </summary>
    public (double Progress, double Cost)[]? ExpectedAtEachRate() =>
        Fit() is { } fit ? [.. _terms.Select(x => (Progress(x, (fit.BendWeight > 0.5 ? fit.Bend : fit.Line).Mean), Dot(x, fit.Cost)))] : null;

    /// <summary>How much the pulls believe the progress bends (the bend's posterior weight against the line); null before any pull.</summary>
    public double? BendWeight => Fit()?.BendWeight;

    /// <summary>Leaves <paramref name="forgetting"/> of every count and sum: older pulls weigh less.</summary>
    public void Fade(double forgetting)
    {
        for (var i = 0; i < _sums.Length; i++)
        {
            _sums[i] *= forgetting;
        }

        _fitIsCurrent = false;
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
        _fitIsCurrent = false;
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

        // Progress is weighed by 1 / share: an epoch's progress is its ticks' sum, so its noise's variance grows with them.
        _sums[at] += progress;
        _sums[at + 1] += x[1] * progress;
        _sums[at + 2] += progress * progress / x[1];
    }

    /// <summary>An untried arm at random while fewer than <see cref="Terms"/> have pulls (a curve needs them to tell rates apart); else null.</summary>
    public int? Untried(Random random)
    {
        var untried = Enumerable.Range(0, Arms).Where(a => Count(a) == 0).ToList();
        return Arms - untried.Count < Terms ? untried[random.Next(untried.Count)] : null;
    }

    /// <summary>
    /// What a progress curve drawn from its posterior by <paramref name="draw"/> buys at each rate, at the CPU curve's
    /// mean (measured, not guessed); null before any pull. Two curves over the same pulls drawn with one draw move together.
    /// </summary>
    public (double Progress, double Cost)[]? DrawnAtEachRate(PosteriorDraw draw)
    {
        if (Fit() is not { } fit)
        {
            return null;
        }

        var shape = draw.Shape < fit.BendWeight ? fit.Bend : fit.Line;
        var noise = BackSubstitute(shape.Cholesky, [.. draw.Normals.Take(shape.Mean.Length)]);
        var progress = shape.Mean.Zip(noise, (mean, z) => mean + (fit.Spread * z)).ToArray();
        return [.. _terms.Select(x => (Progress(x, progress), Dot(x, fit.Cost)))];
    }

    /// <summary>The arm whose progress less <paramref name="price"/> × CPU is the most.</summary>
    public static int Best(IReadOnlyList<(double Progress, double Cost)> arms, double price) =>
        Enumerable.Range(0, arms.Count).MaxBy(a => arms[a].Progress - (price * arms[a].Cost));

    /// <summary>One draw from a curve's posterior: the uniform that picks its shape and the standard normals of its coefficients.</summary>
    public readonly record struct PosteriorDraw(double Shape, double[] Normals)
    {
        public static PosteriorDraw Next(Random random) => new(random.NextDouble(), [random.NextGaussian(), random.NextGaussian()]);
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
        _fitIsCurrent = false;
    }

    /// <summary>How many numbers <see cref="Save"/> gives for <paramref name="arms"/> rates.</summary>
    public static int SavedLength(int arms) => arms + Fitted;

    private double Gram(int i, int j) => _sums[Arms + (i * Terms) + j];

    private double Cost(int i) => _sums[Arms + (Terms * Terms) + i];

    /// <summary>Progress at a rate's terms (1, share, share²) for a line's slope, or a slope and a bend.</summary>
    private static double Progress(double[] x, double[] coefficients) => (x[1] * coefficients[0]) + (coefficients.Length > 1 ? x[2] * coefficients[1] : 0);

    /// <summary>A progress shape's posterior: its mean coefficients and the Cholesky factor of their precision in units of the noise.</summary>
    private readonly record struct Shape(double[] Mean, double[,] Cholesky, double Explained, double LogDeterminant);

    /// <summary>
    /// The ridge fits: the progress line and the line with a bend, the bend's weight, the noise (the pulls' spread about
    /// the bent curve over the counts less two; until there are two beyond it, their root mean square, which is wider: it
    /// explores more, never less), and the CPU curve's coefficients. Null before any pull.
    /// </summary>
    private (Shape Line, Shape Bend, double BendWeight, double Spread, double[] Cost)? Fit()
    {
        // Kept until the sums change: every NPC that draws in an epoch reads its class's curves, and the decision all of them.
        if (!_fitIsCurrent)
        {
            (_fit, _fitIsCurrent) = (FitNow(), true);
        }

        return _fit;
    }

    /// <summary><see cref="Fit"/> from the sums, anew.</summary>
    private (Shape Line, Shape Bend, double BendWeight, double Spread, double[] Cost)? FitNow()
    {
        var count = Gram(0, 0);
        if (count <= 0)
        {
            return null;
        }

        var at = Arms + (Terms * Terms) + Terms;
        var (byShare, byShareSquared, squares) = (_sums[at], _sums[at + 1], _sums[at + 2]);
        var line = Solve(new[,] { { Gram(0, 1) + SlopeRidge } }, [byShare]); // weighed by 1 / share: Σ s²/s, Σ s³/s, Σ s⁴/s
        var bend = Solve(new[,] { { Gram(0, 1) + SlopeRidge, Gram(1, 1) }, { Gram(1, 1), Gram(1, 2) + ProgressBendRidge } }, [byShare, byShareSquared]);
        var residual = squares - bend.Explained; // Σ(y − Xβ)² plus the prior's penalty: a little wider, never narrower
        var variance = Math.Max(count - 2 >= 2 ? residual / (count - 2) : squares / count, 1e-12 * squares / count);

        // The log Bayes factor of bend against line with the noise known: the fit each gains, less the bend's Occam factor.
        var logBayesFactor = ((bend.Explained - line.Explained) / (2 * variance)) - ((bend.LogDeterminant - line.LogDeterminant - Math.Log(ProgressBendRidge)) / 2);
        var bendWeight = variance > 0 ? 1 / (1 + Math.Exp(-logBayesFactor)) : 0;

        var cholesky = Cholesky(CostPrecision());
        var cost = BackSubstitute(cholesky, ForwardSubstitute(cholesky, [.. Enumerable.Range(0, Terms).Select(Cost)]));
        return (line, bend, bendWeight, Math.Sqrt(variance), cost);
    }

    /// <summary>The ridge solution of <paramref name="precision"/> β = <paramref name="xy"/>, and what it explains (βᵀ Xᵀy).</summary>
    private static Shape Solve(double[,] precision, double[] xy)
    {
        var cholesky = Cholesky(precision);
        var mean = BackSubstitute(cholesky, ForwardSubstitute(cholesky, xy));
        var logDeterminant = 2 * Enumerable.Range(0, xy.Length).Sum(i => Math.Log(cholesky[i, i]));
        return new Shape(mean, cholesky, Dot(mean, xy), logDeterminant);
    }

    /// <summary>XᵀX plus the prior's precisions on the CPU curve's slope and bend.</summary>
    private double[,] CostPrecision()
    {
        var a = new double[Terms, Terms];
        for (var i = 0; i < Terms; i++)
        {
            for (var j = 0; j < Terms; j++)
            {
                a[i, j] = Gram(i, j) + (i != j ? 0 : i == 1 ? SlopeRidge : i == 2 ? CostBendRidge : 0);
            }
        }

        return a;
    }

    private static double Dot(double[] x, double[] y) => x.Zip(y, (a, b) => a * b).Sum();

    /// <summary>L with L Lᵀ = <paramref name="a"/>, symmetric and positive definite (the prior makes it so once a pull is booked).</summary>
    private static double[,] Cholesky(double[,] a)
    {
        var n = a.GetLength(0);
        var l = new double[n, n];
        for (var i = 0; i < n; i++)
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
        var z = new double[b.Length];
        for (var i = 0; i < b.Length; i++)
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
        var x = new double[z.Length];
        for (var i = z.Length - 1; i >= 0; i--)
        {
            x[i] = z[i];
            for (var k = i + 1; k < z.Length; k++)
            {
                x[i] -= l[k, i] * x[k];
            }

            x[i] /= l[i, i];
        }

        return x;
    }
}
