using Microsoft.Extensions.Time.Testing;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Testing.TestKit;
using static Nimmerverse.Actors.Lifeforce.LifeforceLedgerMessages;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Lifeforce;

[Category(TestTier.Unit)]
public sealed class LifeforceLedgerSpec : AkkaSpec
{
    [Test]
    public void An_organism_starts_with_100_and_its_stock_follows_spending_and_income()
    {
        var ledger = Sys.ActorOf(LifeforceLedgerActor.Props());

        ledger.Tell(new Spend(0.3, "sensor", "reading"), TestActor);
        ledger.Tell(new Spend(0.2, "math", "compute"), TestActor);
        ledger.Tell(new Earn(1.0, "npc-7", "goal reached"), TestActor);
        ledger.Tell(GetBalance.Instance, TestActor);

        var balance = ExpectMsg<Balance>();
        Assert.That(balance.Stock, Is.EqualTo(100.5).Within(1e-9));
        Assert.That(balance.Vitality, Is.EqualTo(2.0).Within(1e-9));
        Assert.That(balance.SpentBySource["sensor"], Is.EqualTo(0.3));
    }

    [Test]
    public void Vitality_covers_only_the_recent_window()
    {
        var clock = new FakeTimeProvider();
        var ledger = Sys.ActorOf(LifeforceLedgerActor.Props(TimeSpan.FromSeconds(10), clock));
        ledger.Tell(new Earn(10, "npc-1", "goal"), TestActor);
        ledger.Tell(GetBalance.Instance, TestActor);
        ExpectMsg<Balance>();
        clock.Advance(TimeSpan.FromSeconds(11));

        ledger.Tell(new Spend(1, "math", "compute"), TestActor);
        ledger.Tell(GetBalance.Instance, TestActor);

        var balance = ExpectMsg<Balance>();
        Assert.That(balance.Income, Is.Zero, "the old income left the window");
        Assert.That(balance.Vitality, Is.Zero);
        Assert.That(balance.Stock, Is.EqualTo(109));
    }

    [Test]
    public void A_nonsense_amount_is_ignored()
    {
        var ledger = Sys.ActorOf(LifeforceLedgerActor.Props());

        ledger.Tell(new Spend(double.NaN, "bad", "nan"), TestActor);
        ledger.Tell(new Earn(-5, "bad", "negative"), TestActor);
        ledger.Tell(GetBalance.Instance, TestActor);

        Assert.That(ExpectMsg<Balance>().Stock, Is.EqualTo(LifeforceLedgerActor.InitialStock));
    }
}
