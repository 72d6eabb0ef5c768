using Nimmerverse.Actors.Npc;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Npc;

[Category(TestTier.Unit)]
public sealed class NpcScopeNameTests
{
    [Test]
    public void An_id_makes_the_one_unit_name_and_reads_back()
    {
        Assert.That(NpcScopeName.For(7).Value, Is.EqualTo("nimmerverse-npc-7.scope"));
        Assert.That(NpcScopeName.TryParse("nimmerverse-npc-1000000.scope", out var name) && name.Id == 1_000_000);
        Assert.That(NpcScopeName.Pattern, Is.EqualTo("nimmerverse-npc-*.scope"));
    }

    [TestCase("nimmerverse-npc-../x.scope")]
    [TestCase("nimmerverse-npc-7.service")]
    [TestCase("a.service")]
    [TestCase("nimmerverse-npc-7;reboot.scope")]
    [TestCase("nimmerverse-npc-07.scope")]
    [TestCase("nimmerverse-npc--1.scope")]
    [TestCase("nimmerverse-npc-+1.scope")]
    [TestCase("nimmerverse-npc-1000001.scope")]
    [TestCase("nimmerverse-npc-.scope")]
    [TestCase("nimmerverse-npc-٣.scope")]
    [TestCase("NIMMERVERSE-NPC-7.scope")]
    [TestCase("")]
    public void Any_other_unit_name_is_refused(string unit)
    {
        Assert.That(NpcScopeName.TryParse(unit, out _), Is.False);
    }

    [Test]
    public void A_very_long_name_is_refused()
    {
        Assert.That(NpcScopeName.TryParse($"nimmerverse-npc-{new string('1', 300)}.scope", out _), Is.False);
    }

    [TestCase(-1)]
    [TestCase(1_000_001)]
    public void An_id_out_of_range_makes_no_name(int id)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NpcScopeName.For(id));
    }
}
