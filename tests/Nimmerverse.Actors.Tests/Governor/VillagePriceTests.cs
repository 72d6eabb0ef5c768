using Nimmerverse.Actors.Governor;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Governor;

/// <summary>What a CPU-second must buy: the village's recent progress per CPU-second, for the bandit never below its long run's.</summary>
[Category(TestTier.Unit)]
public sealed class VillagePriceTests
{
    [Test]
    public void It_follows_a_village_that_buys_more_lately()
    {
        var price = new VillagePrice(floorAtLongRun: true);
        Follow(price, epochs: 1000, progress: 0.1, cost: 1);
        Follow(price, epochs: 300, progress: 0.5, cost: 1);

        Assert.That(price.Value, Is.EqualTo(0.5).Within(0.01), "the recent price, five times the long run's");
    }

    [Test]
    public void A_village_that_has_stopped_learning_keeps_its_long_run_price()
    {
        var price = new VillagePrice(floorAtLongRun: true);
        Follow(price, epochs: 500, progress: 0.2, cost: 1);
        Follow(price, epochs: 2000, progress: 0, cost: 1);

        // The long run: 500 epochs at 0.2, then 2,000 at nothing, each counted 0.9999 less per epoch since.
        var (recent, earlier) = (Math.Pow(VillagePrice.LongRunForgetting, 2000), Math.Pow(VillagePrice.LongRunForgetting, 2500));
        var expected = 0.2 * (recent - earlier) / (1 - earlier);
        Assert.That(price.Value, Is.EqualTo(expected).Within(1e-9).And.GreaterThan(0.03), "recently it bought nothing");
    }

    [Test]
    public void Without_the_floor_the_price_is_the_recent_one_alone()
    {
        var price = new VillagePrice();
        Follow(price, epochs: 500, progress: 0.2, cost: 1);
        Follow(price, epochs: 2000, progress: 0, cost: 1);

        Assert.That(price.Value, Is.LessThan(1e-6), "what the actor-critic is rewarded at");
    }

    [Test]
    public void A_village_losing_skill_prices_a_cpu_second_at_nothing_not_below()
    {
        var price = new VillagePrice(floorAtLongRun: true);
        Follow(price, epochs: 100, progress: -0.1, cost: 1);

        Assert.That(price.Value, Is.Zero);
    }

    [Test]
    public void A_checkpoint_restores_the_long_run_with_the_recent_price()
    {
        var price = new VillagePrice(floorAtLongRun: true);
        Follow(price, epochs: 500, progress: 0.2, cost: 1);
        Follow(price, epochs: 500, progress: 0, cost: 1);
        var restored = new VillagePrice(floorAtLongRun: true);
        restored.Start(price.Village!.Value.Progress, price.Village.Value.Cost, price.LongRun);
        var fresh = new VillagePrice(floorAtLongRun: true);
        fresh.Start(price.Village.Value.Progress, price.Village.Value.Cost);

        Assert.Multiple(() =>
        {
            Assert.That(restored.Value, Is.EqualTo(price.Value).And.GreaterThan(0.05));
            Assert.That(fresh.Value, Is.LessThan(0.01), "without its long run, only the recent price");
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
