using Nimmerverse.Actors.Governor;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Governor;

/// <summary>The classes the bandit keeps its tables by, and their indices.</summary>
[Category(TestTier.Unit)]
public sealed class NpcClassTests
{
    [Test]
    public void Every_index_names_the_class_whose_index_it_is()
    {
        var classes = Enumerable.Range(0, NpcClass.Count).Select(NpcClass.AtIndex).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(classes.Select(c => c.Index), Is.EqualTo(Enumerable.Range(0, NpcClass.Count)));
            Assert.That(classes.Distinct().Count(), Is.EqualTo(NpcClass.Count));
            Assert.That(classes.Count(c => c.Exploring), Is.EqualTo(NpcClass.Count / 3), "a third of the classes explore: one stage of three");
            Assert.That(() => NpcClass.AtIndex(NpcClass.Count), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains($"0 to {NpcClass.Count - 1}"));
            Assert.That(() => NpcClass.AtIndex(-1), Throws.InstanceOf<ArgumentOutOfRangeException>());
        });
    }
}
