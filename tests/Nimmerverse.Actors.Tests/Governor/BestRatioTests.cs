using Nimmerverse.Actors.Governor;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Governor;

/// <summary>The best progress per CPU-second the NPCs present could make, each class at the rate that suits it.</summary>
[Category(TestTier.Unit)]
public sealed class BestRatioTests
{
    private static readonly double[] RatesHz = [1, 2, 5, 10, 20];

    [Test]
    public void It_is_the_best_ratio_of_every_allocation_of_rates_to_classes([Values(1, 2, 3, 4, 5)] int seed)
    {
        // Three classes of random curves, so the best allocation differs from seed to seed: checked against all 125. Weighed
        // by NPC-epochs, as a faded horizon counts them: not whole numbers.
        var random = new Random(seed);
        var classes = Enumerable.Range(0, 3).Select(_ => (Curve: RandomCurve(random), Npcs: 0.5 + (5 * random.NextDouble()))).ToList();
        var expected = classes.Select(c => c.Curve.ExpectedAtEachRate()!).ToList();
        var best = double.NegativeInfinity;
        foreach (var a in Enumerable.Range(0, 125).Select(i => new[] { i % 5, i / 5 % 5, i / 25 }))
        {
            var progress = Enumerable.Range(0, 3).Sum(c => classes[c].Npcs * expected[c][a[c]].Progress);
            var cost = Enumerable.Range(0, 3).Sum(c => classes[c].Npcs * expected[c][a[c]].Cost);
            best = Math.Max(best, progress / cost);
        }

        Assert.That(BestRatio.Of(classes), Is.EqualTo(Math.Max(best, 0)).Within(1e-12).And.GreaterThan(0));
    }

    [Test]
    public void A_class_whose_cpu_crowds_at_fast_rates_is_priced_where_its_ratio_peaks()
    {
        // Progress 0.6 s and CPU 0.1 + 0.2 s + 0.5 s², s the share of 20 Hz: the ratio peaks near 9 Hz, and of the
        // five rates 10 Hz makes the best (0.92 against 0.83 at 5 Hz and 0.75 at 20).
        var curve = new RateCurve(RatesHz);
        foreach (var arm in new[] { 0, 2, 4 })
        {
            for (var pull = 0; pull < 20_000; pull++) // many: the CPU curve's prior on its bend gives way
            {
                var share = RatesHz[arm] / 20;
                curve.Book(arm, progress: 0.6 * share, cost: 0.1 + (0.2 * share) + (0.5 * share * share));
            }
        }

        var tenHz = curve.ExpectedAtEachRate()![3];
        Assert.Multiple(() =>
        {
            Assert.That(BestRatio.Of([(curve, 4)]), Is.EqualTo(tenHz.Progress / tenHz.Cost).Within(1e-12));
            Assert.That(tenHz.Progress / tenHz.Cost, Is.EqualTo(0.3 / 0.325).Within(1e-3));
        });
    }

    [Test]
    public void A_village_that_can_only_lose_skill_is_priced_at_nothing()
    {
        var curve = new RateCurve(RatesHz);
        foreach (var arm in Enumerable.Range(0, 5))
        {
            curve.Book(arm, progress: -0.01 * RatesHz[arm], cost: 0.05 + (0.005 * RatesHz[arm]));
        }

        Assert.That(BestRatio.Of([(curve, 3)]), Is.Zero);
    }

    [Test]
    public void Without_a_curve_for_an_npc_present_there_is_no_best_ratio_yet()
    {
        var known = new RateCurve(RatesHz);
        known.Book(4, progress: 0.1, cost: 0.1);

        Assert.Multiple(() =>
        {
            Assert.That(BestRatio.Of([(new RateCurve(RatesHz), 5)]), Is.Null);
            Assert.That(BestRatio.Of([(known, 0), (new RateCurve(RatesHz), 5)]), Is.Null, "a class of no NPC present does not count");
            Assert.That(BestRatio.Of([(known, 2), (new RateCurve(RatesHz), 5)]), Is.EqualTo(1 / 1.01).Within(1e-12), "the classes it knows (the slope's prior takes a hundredth)");
        });
    }

    private static RateCurve RandomCurve(Random random)
    {
        var (slope, crowding) = ((random.NextDouble() - 0.3) * 0.2, random.NextDouble() * 0.3);
        var curve = new RateCurve(RatesHz);
        for (var pull = 0; pull < 50; pull++)
        {
            var arm = random.Next(RatesHz.Length);
            var share = RatesHz[arm] / 20;
            curve.Book(arm, progress: (slope * share) + (0.01 * random.NextGaussian()), cost: 0.05 + (0.1 * share) + (crowding * share * share));
        }

        return curve;
    }
}
