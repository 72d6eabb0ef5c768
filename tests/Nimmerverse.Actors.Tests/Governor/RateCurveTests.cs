using Nimmerverse.Actors.Governor;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Governor;

/// <summary>The bandit's payoff curve in the tick rate: its fit, its draws against separate arms, its memory.</summary>
[Category(TestTier.Unit)]
public sealed class RateCurveTests
{
    private static readonly double[] RatesHz = [1, 2, 5, 10, 20];

    [Test]
    public void One_pull_makes_progress_in_proportion_to_the_rate_and_a_flat_cost()
    {
        var curve = new RateCurve(RatesHz);
        curve.Book(arm: 3, progress: 0.10, cost: 0.20);
        var expected = curve.ExpectedAtEachRate()!;

        Assert.Multiple(() =>
        {
            Assert.That(expected.Select(e => e.Progress), Is.EqualTo(RatesHz.Select(hz => 0.10 * hz / 10)).Within(5).Percent, "no ticks, no progress: a line through the origin and the pull (less the ridge's pull toward 0)");
            Assert.That(expected.Select(e => e.Cost), Is.All.EqualTo(0.20).Within(1e-12), "no slope in the cost before pulls at other rates");
            Assert.That(curve.Mean(3, price: 1), Is.EqualTo(expected[3].Progress - 0.20).Within(1e-12), "judged at the price asked for");
            Assert.That(new RateCurve(RatesHz).Mean(0, price: 1), Is.Zero, "nothing known");
        });
    }

    [Test]
    public void Pulls_at_three_rates_give_the_bent_progress_and_the_cpu_quadratic_through_them()
    {
        // progress 0.9 s - 0.3 s² (each tick buys less as they come faster) and CPU 0.1 + 0.2 s + 0.5 s², s the rate's share
        // of 20 Hz (CPU dearer per tick as ticks crowd): at price 6/7 the payoff is highest at 10 Hz.
        static double Progress(double hz) => (0.9 * hz / 20) - (0.3 * (hz / 20) * (hz / 20));
        static double Cost(double hz) => 0.1 + (0.2 * hz / 20) + (0.5 * (hz / 20) * (hz / 20));
        var curve = new RateCurve(RatesHz);
        foreach (var arm in new[] { 0, 2, 4 })
        {
            for (var pull = 0; pull < 100_000; pull++) // many: the priors on the bends pull them toward a line until the pulls outweigh them
            {
                curve.Book(arm, Progress(RatesHz[arm]), Cost(RatesHz[arm]));
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(Enumerable.Range(0, 5).Select(a => curve.Mean(a, 6.0 / 7)), Is.EqualTo(RatesHz.Select(hz => Progress(hz) - (6.0 / 7 * Cost(hz)))).Within(1e-3), "the two rates never pulled too");
            Assert.That(curve.BendWeight, Is.GreaterThan(0.999), "pulls with no noise about a bend leave no doubt of it");
            Assert.That(Enumerable.Range(0, 50).Select(_ => curve.Draw(new Random(_), 6.0 / 7)), Is.All.EqualTo(3), "10 Hz: the best of the five on a curve with no spread");
        });
    }

    [Test]
    public void What_it_expects_a_rate_to_buy_and_cost_is_its_payoff_at_every_price()
    {
        var random = new Random(5);
        var curve = new RateCurve(RatesHz);
        Assert.That(curve.ExpectedAtEachRate(), Is.Null, "nothing known");
        for (var pull = 0; pull < 200; pull++)
        {
            var arm = random.Next(RatesHz.Length);
            curve.Book(arm, progress: (0.01 * RatesHz[arm]) + (0.01 * random.NextGaussian()), cost: 0.05 + (0.005 * RatesHz[arm]));
        }

        var expected = curve.ExpectedAtEachRate()!;
        Assert.Multiple(() =>
        {
            Assert.That(Enumerable.Range(0, 5).Select(a => expected[a].Progress - (0.7 * expected[a].Cost)), Is.EqualTo(Enumerable.Range(0, 5).Select(a => curve.Mean(a, 0.7))).Within(1e-12));
            Assert.That(expected.Select(e => e.Cost), Is.EqualTo(RatesHz.Select(r => 0.05 + (0.005 * r))).Within(2e-3), "the cost, a line in the rate, nearly");
        });
    }

    [Test]
    public void Ticks_that_buy_a_little_in_much_noise_make_the_fastest_rate_the_best_ratio()
    {
        // A brain short of its quiz round, as the benchmark's trails measure it: 0.0001 progress per hertz-epoch, each
        // epoch's progress spread 0.01 about that at 20 Hz, and CPU 0.0017 + 0.0009 per hertz. 20 Hz makes 0.10 a CPU-second,
        // 1 Hz 0.04; thirty pulls a rate. At the best ratio the curve's means find, which rate do they price best?
        var best = BestRatesAtTheirBestRatio(hz => 0.0001 * hz, noise: 0.01, pullsPerRate: 30);
        Assert.That(best.Count(hz => hz == 20), Is.GreaterThanOrEqualTo(32), "a slow rate's ratio is not inflated by noise: it buys little at a little cost");
    }

    [Test]
    public void Ticks_that_buy_no_more_past_10_hz_make_a_middle_rate_the_best_ratio()
    {
        // A brain whose epoch buys 0.0015 at 10 Hz and no more at 20 (in proportion below 10 Hz), each epoch's progress
        // spread 0.005 about that; three hundred pulls a rate. In truth 10 Hz makes the best ratio (5 Hz 0.87 of it,
        // 20 Hz 0.55). A line through the origin prices 20 Hz best whatever its slope (its CPU has a fixed part); the
        // curve must see the bend, and a quadratic puts its knee near 5 Hz or 10 Hz.
        var best = BestRatesAtTheirBestRatio(hz => 0.0015 * Math.Min(1, hz / 10), noise: 0.005, pullsPerRate: 300);
        Assert.That(best.Count(hz => hz is 5 or 10), Is.GreaterThanOrEqualTo(30), "where the pulls show the bend, the curve keeps it");
    }

    /// <summary>
    /// Over 40 seeds, the rate a curve prices best at the best ratio its means find, after <paramref name="pullsPerRate"/>
    /// pulls at each rate of <paramref name="progressAtHz"/> in a noise of <paramref name="noise"/> at 20 Hz and of the square
    /// root of the rate's share of it below (an epoch's progress is its ticks' sum: its variance grows with them), with CPU 0.0017 +
    /// 0.0009 per hertz (a brain's, as the benchmark measured it).
    /// </summary>
    private static List<double> BestRatesAtTheirBestRatio(Func<double, double> progressAtHz, double noise, int pullsPerRate)
    {
        var (best, ratios, bendWeights) = (new List<double>(), new List<double>(), new List<double>());
        for (var seed = 0; seed < 40; seed++)
        {
            var random = new Random(seed);
            var curve = new RateCurve(RatesHz);
            for (var pull = 0; pull < pullsPerRate; pull++)
            {
                for (var arm = 0; arm < RatesHz.Length; arm++)
                {
                    curve.Book(arm, progress: progressAtHz(RatesHz[arm]) + (noise * Math.Sqrt(RatesHz[arm] / RatesHz[^1]) * random.NextGaussian()), cost: 0.0017 + (0.0009 * RatesHz[arm]));
                }
            }

            var price = BestRatio.Of([(curve, 1)])!.Value;
            var expected = curve.ExpectedAtEachRate()!;
            best.Add(RatesHz[Enumerable.Range(0, RatesHz.Length).MaxBy(a => expected[a].Progress - (price * expected[a].Cost))]);
            ratios.Add(price);
            bendWeights.Add(curve.BendWeight!.Value);
        }

        TestContext.Out.WriteLine($"best rate ({string.Join(", ", RatesHz.Select(hz => $"{hz} Hz in {best.Count(b => b == hz)}"))}); the bend's weight: mean {bendWeights.Average():F2}, above a half in {bendWeights.Count(w => w > 0.5)}; best ratios {ratios.Min():F3}-{ratios.Max():F3}, median {ratios.Order().ElementAt(20):F3}");
        return best;
    }

    [Test]
    public void Untried_rates_come_first_until_three_have_pulls()
    {
        var random = new Random(7);
        var curve = new RateCurve(RatesHz);
        var first = Enumerable.Range(0, 3).Select(_ =>
        {
            var arm = curve.Draw(random, price: 0);
            curve.Book(arm, progress: arm, cost: 0);
            return arm;
        }).ToList();

        Assert.That(first.Distinct().Count(), Is.EqualTo(3), "no curve judged before three rates were pulled");
    }

    [Test]
    public void A_curve_tells_1_hz_from_5_hz_with_pulls_that_leave_separate_arms_unsure()
    {
        // What a converged brain's ticks cost: its payoff falls by 0.01 a hertz, under a fifth of its epoch's noise of 0.2.
        // Eight pulls a rate, the arms' count in a class of a few brains; then how often each picks 1 Hz.
        var (byCurve, byArms) = (0, 0);
        for (var seed = 0; seed < 40; seed++)
        {
            var random = new Random(seed);
            var curve = new RateCurve(RatesHz);
            var arms = new ArmPayoffs(RatesHz.Length);
            for (var pull = 0; pull < 8; pull++)
            {
                for (var arm = 0; arm < RatesHz.Length; arm++)
                {
                    var payoff = (-0.01 * RatesHz[arm]) + (0.2 * random.NextGaussian());
                    curve.Book(arm, payoff, cost: 0);
                    arms.Book(arm, payoff, cost: 0);
                }
            }

            byCurve += Enumerable.Range(0, 25).Count(_ => curve.Draw(random, 0) == 0);
            byArms += Enumerable.Range(0, 25).Count(_ => arms.Draw(random, 0) == 0);
        }

        TestContext.Out.WriteLine($"1 Hz drawn: by the curve {byCurve} of 1,000, by separate arms {byArms} of 1,000");
        Assert.Multiple(() =>
        {
            Assert.That(byCurve, Is.GreaterThan(700), "the curve draws the cheapest rate most of the time");
            Assert.That(byCurve, Is.GreaterThan(byArms + 200), "and far more often than separate arms do");
        });
    }

    [Test]
    public void Forgetting_fades_its_pulls_and_its_statistics_survive_a_checkpoint()
    {
        var curve = new RateCurve(RatesHz);
        curve.Book(0, progress: 1, cost: 0.1);
        curve.Fade(0.5);
        curve.Book(4, progress: 0, cost: 0.3);
        var copy = new RateCurve(RatesHz);
        copy.Load(curve.Save());

        Assert.Multiple(() =>
        {
            Assert.That((curve.Count(0), curve.Count(4)), Is.EqualTo((0.5, 1.0)));
            Assert.That(Enumerable.Range(0, 5).Select(a => (copy.Count(a), copy.Mean(a, 0.3))), Is.EqualTo(Enumerable.Range(0, 5).Select(a => (curve.Count(a), curve.Mean(a, 0.3)))));
            Assert.That(() => copy.Load(new double[5]), Throws.ArgumentException);
            Assert.That(() => new RateCurve([1, 2]), Throws.ArgumentException, "a quadratic needs three rates");
        });
    }
}
