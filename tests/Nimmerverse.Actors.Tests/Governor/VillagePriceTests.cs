using Nimmerverse.Actors.Governor;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Governor;

/// <summary>What a CPU-second has bought the village: its progress per CPU-second lately and over the long run.</summary>
[Category(TestTier.Unit)]
public sealed class VillagePriceTests
{
    [Test]
    public void It_follows_a_village_that_buys_more_lately()
    {
        var price = new VillagePrice();
        Follow(price, epochs: 1000, progress: 0.1, cost: 1);
        Follow(price, epochs: 300, progress: 0.5, cost: 1);

        Assert.Multiple(() =>
        {
            Assert.That(price.Value, Is.EqualTo(0.5).Within(0.01), "the recent ratio");
            Assert.That(price.LongRunValue, Is.EqualTo(0.197).Within(0.001), "1,000 epochs at 0.1 and then 300 at 0.5, the older counted a little less");
        });
    }

    [Test]
    public void A_village_that_has_stopped_learning_keeps_its_long_run_ratio()
    {
        var price = new VillagePrice();
        Follow(price, epochs: 500, progress: 0.2, cost: 1);
        Follow(price, epochs: 2000, progress: 0, cost: 1);

        // The long run: 500 epochs at 0.2, then 2,000 at nothing, each counted 0.9999 less per epoch since.
        var (recent, earlier) = (Math.Pow(VillagePrice.LongRunForgetting, 2000), Math.Pow(VillagePrice.LongRunForgetting, 2500));
        var expected = 0.2 * (recent - earlier) / (1 - earlier);
        Assert.Multiple(() =>
        {
            Assert.That(price.LongRunValue, Is.EqualTo(expected).Within(1e-9).And.GreaterThan(0.03));
            Assert.That(price.Value, Is.LessThan(1e-6), "recently it bought nothing");
        });
    }

    [Test]
    public void A_village_losing_skill_prices_a_cpu_second_at_nothing_not_below()
    {
        var price = new VillagePrice();
        Follow(price, epochs: 100, progress: -0.1, cost: 1);

        Assert.That(new[] { price.Value, price.LongRunValue }, Is.All.Zero);
    }

    [Test]
    public void A_checkpoint_restores_the_long_run_with_the_recent_ratio()
    {
        var price = new VillagePrice();
        Follow(price, epochs: 500, progress: 0.2, cost: 1);
        Follow(price, epochs: 500, progress: 0, cost: 1);
        var restored = new VillagePrice();
        restored.Start(price.Village!.Value.Progress, price.Village.Value.Cost, price.LongRun);
        var fresh = new VillagePrice();
        fresh.Start(price.Village.Value.Progress, price.Village.Value.Cost);

        Assert.Multiple(() =>
        {
            Assert.That((restored.Value, restored.LongRunValue), Is.EqualTo((price.Value, price.LongRunValue)));
            Assert.That(restored.LongRunValue, Is.GreaterThan(0.05));
            Assert.That(fresh.LongRunValue, Is.LessThan(0.01), "without its long run, one epoch of the recent ratio");
        });
    }

    private static void Follow(VillagePrice price, int epochs, double progress, double cost)
    {
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            price.Follow(progress, cost);
        }
    }
}
