using Microsoft.Extensions.Time.Testing;
using Nimmerverse.Actors.World;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.World;

/// <summary>
/// A world of more citizens than one arena has nodes: they fill villages of one home per node, in
/// id order; errands stay within a citizen's village; and the node counts a step consults stay
/// exactly what scanning every citizen would count, as citizens move, go quiet and come back.
/// </summary>
[Category(TestTier.Unit)]
public sealed class GridWorldVillagesTests
{
    private static readonly GridWorldSettings TwoHundredFifty = GridWorldSettings.Default with { Citizens = 250, OwnHomeShare = 0, Seed = 5 };

    [Test]
    public void Two_hundred_fifty_citizens_live_in_ten_villages_of_twenty_five_homes_each_on_its_own_nodes()
    {
        var world = new GridWorld(TwoHundredFifty);

        Assert.That(TwoHundredFifty.VillageSize, Is.EqualTo(25));
        Assert.That(world.Villages, Has.Count.EqualTo(10));
        Assert.That(world.Villages.Select(v => v.FirstCitizen), Is.EqualTo(Enumerable.Range(0, 10).Select(v => v * 25)));
        Assert.That(world.Villages.SelectMany(v => v.Homes).Select(h => h.Citizen), Is.EqualTo(Enumerable.Range(0, 250)));
        Assert.That(world.Villages.Select(v => v.Homes.Select(h => h.Node).Distinct().Count()), Is.All.EqualTo(25));
        Assert.That(world.Villages.Select(v => v.Homes.Select(h => string.Join(',', h.Traits)).Distinct().Count()), Is.All.EqualTo(25));
        Assert.That(world.Step(249, null).Error, Is.Null);
        Assert.That(world.Step(250, null).Error, Is.EqualTo("npc 250 is not a citizen of this world (0..249)"));
    }

    [Test]
    public void A_last_village_holds_what_is_left_over()
    {
        var world = new GridWorld(GridWorldSettings.Default with { Citizens = 26 });

        Assert.That(world.Villages.Select(v => v.Homes.Count), Is.EqualTo(new[] { 25, 1 }));
        Assert.That(world.Step(25, null).Observation!.GoalTraits, Is.EqualTo(world.Villages[1].Homes[0].Traits), "a lone citizen's errands all lead home");
    }

    [Test]
    public void Every_errand_and_every_quiz_question_leads_to_a_home_in_the_citizens_own_village()
    {
        var world = new GridWorld(TwoHundredFifty with { QuizEvery = 1 });
        var random = new Random(2);
        foreach (var npc in new[] { 0, 30, 131, 249 })
        {
            var village = world.Villages[npc / 25];
            var observation = world.Step(npc, null).Observation!;
            for (var step = 0; step < 400; step++)
            {
                Assert.That(village.Homes.Count(h => h.Traits.SequenceEqual(observation.GoalTraits)), Is.EqualTo(1), $"npc {npc}'s goal {observation.Goal} is a house of its village");
                observation = world.Step(npc, random.Next(4)).Observation!;
            }
        }
    }

    [Test]
    public void The_kept_node_counts_equal_a_full_recount_while_citizens_move_collide_go_quiet_and_return()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        // Three villages of four homes on a 2x2 arena, one citizen per node: crowded, so moves collide.
        var world = new GridWorld(GridWorldSettings.Default with { Rows = 2, Columns = 2, Citizens = 11, NodeCapacity = 1, MaxLevel = 1, QuizEvery = 3, AbsentAfter = TimeSpan.FromSeconds(2) }, clock);
        var random = new Random(9);
        var collisions = 0;
        for (var step = 0; step < 5_000; step++)
        {
            // Citizens 8-10 step only now and then, so they go quiet and come back.
            var npc = random.Next(step % 50 < 40 ? 8 : 11);
            clock.Advance(TimeSpan.FromMilliseconds(random.Next(1, 60)));
            var observation = world.Step(npc, random.Next(5) is var move && move < 4 ? move : null).Observation!;
            collisions += observation.Collision ? 1 : 0;
            Assert.That(world.RecountProblem(), Is.Null, $"after step {step} (npc {npc})");
        }

        Assert.That(collisions, Is.GreaterThan(100), "the crowded arena collides: the counts are consulted");
        Assert.That(world.LevelUps, Is.Zero.Or.EqualTo(1));
    }
}
