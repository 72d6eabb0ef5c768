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
        // Three classes of random curves, so the best allocation differs from seed to seed: checked against all 125.
        var random = new Random(seed);
        var classes = Enumerable.Range(0, 3).Select(_ => (Curve: RandomCurve(random), Npcs: 1 + random.Next(6))).ToList();
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
    public void A_class_that_buys_most_per_cpu_second_slowly_is_priced_at_its_slowest_rate()
    {
        // A converged kind gains a little whatever its rate; its ratio is best where it costs least.
        var curve = new RateCurve(RatesHz);
        foreach (var arm in Enumerable.Range(0, 5))
        {
            curve.Book(arm, progress: 0.01, cost: 0.05 + (0.005 * RatesHz[arm]));
        }

        var slowest = curve.ExpectedAtEachRate()![0];
        Assert.That(BestRatio.Of([(curve, 4)]), Is.EqualTo(slowest.Progress / slowest.Cost).Within(1e-12));
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
        known.Book(0, progress: 0.1, cost: 0.1);

        Assert.Multiple(() =>
        {
            Assert.That(BestRatio.Of([(new RateCurve(RatesHz), 5)]), Is.Null);
            Assert.That(BestRatio.Of([(known, 0), (new RateCurve(RatesHz), 5)]), Is.Null, "a class of no NPC present does not count");
            Assert.That(BestRatio.Of([(known, 2), (new RateCurve(RatesHz), 5)]), Is.EqualTo(1).Within(1e-12), "the classes it knows");
        });
    }

    private static RateCurve RandomCurve(Random random)
    {
        var (level, slope, bend) = (random.NextDouble() * 0.1, (random.NextDouble() - 0.5) * 0.2, (random.NextDouble() - 0.5) * 0.2);
        var curve = new RateCurve(RatesHz);
        for (var pull = 0; pull < 50; pull++)
        {
            var arm = random.Next(RatesHz.Length);
            var share = RatesHz[arm] / 20;
            curve.Book(arm, progress: level + (slope * share) + (bend * share * share) + (0.01 * random.NextGaussian()), cost: 0.05 + (0.1 * share));
        }

        return curve;
    }
}
