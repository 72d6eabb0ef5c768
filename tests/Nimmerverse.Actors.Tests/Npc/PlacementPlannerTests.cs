using Nimmerverse.Actors.Npc.Placement;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Npc;

/// <summary>The placement's rules, one by one, on hosts described by what they report.</summary>
[Category(TestTier.Unit)]
public sealed class PlacementPlannerTests
{
    private static readonly IReadOnlyDictionary<int, string> NoTargets = new Dictionary<int, string>();

    private static PlacementHost Host(string name, int capacity, IEnumerable<int>? running = null, bool live = true) =>
        new(name, capacity, (running ?? []).ToHashSet(), live);

    private static Dictionary<string, int> Counts(PlacementPlan plan) =>
        plan.Targets.GroupBy(t => t.Value).ToDictionary(g => g.Key, g => g.Count());

    [Test]
    public void A_fresh_village_is_spread_in_proportion_to_capacity()
    {
        var plan = PlacementPlanner.Plan(24, [Host("a", 10), Host("b", 10), Host("c", 20)], NoTargets, maxMoves: 2);

        Assert.That(Counts(plan), Is.EqualTo(new Dictionary<string, int> { ["a"] = 6, ["b"] = 6, ["c"] = 12 }));
        Assert.That(plan.RunSets.Values.Sum(r => r.Count), Is.EqualTo(24), "nothing runs anywhere yet, so every host may start its share");
        Assert.That(plan.Unplaced, Is.Empty);
    }

    [Test]
    public void Capacity_is_a_ceiling_and_what_does_not_fit_is_unplaced()
    {
        var plan = PlacementPlanner.Plan(10, [Host("a", 3), Host("b", 4)], NoTargets, maxMoves: 2);

        Assert.That(Counts(plan), Is.EqualTo(new Dictionary<string, int> { ["a"] = 3, ["b"] = 4 }));
        Assert.That(plan.Unplaced, Is.EqualTo(new[] { 7, 8, 9 }), "the highest ids wait for room");
    }

    [Test]
    public void A_placed_village_stays_where_it_runs()
    {
        var first = PlacementPlanner.Plan(6, [Host("a", 10), Host("b", 10)], NoTargets, maxMoves: 2);
        var running = first.Targets.GroupBy(t => t.Value).ToDictionary(g => g.Key, g => g.Select(t => t.Key).ToArray());

        var again = PlacementPlanner.Plan(6, [Host("a", 10, running["a"]), Host("b", 10, running["b"])], first.Targets, maxMoves: 2);

        Assert.That(again.Targets, Is.EqualTo(first.Targets));
        Assert.That(again.RunSets["a"], Is.EquivalentTo(running["a"]));
    }

    [Test]
    public void A_new_placement_adopts_where_brains_already_run()
    {
        // A singleton that just moved knows no targets: the hosts' reports are the truth.
        var plan = PlacementPlanner.Plan(4, [Host("a", 10, [0, 3]), Host("b", 10, [1, 2])], NoTargets, maxMoves: 2);

        Assert.That(plan.Targets, Is.EqualTo(new Dictionary<int, string> { [0] = "a", [1] = "b", [2] = "b", [3] = "a" }));
    }

    [Test]
    public void A_lost_host_keeps_its_npcs_from_starting_elsewhere_while_it_is_fenced_then_they_move()
    {
        var targets = new Dictionary<int, string> { [0] = "a", [1] = "b", [2] = "b" };

        var fenced = PlacementPlanner.Plan(3, [Host("a", 10, [0]), Host("b", 10, [1, 2], live: false)], targets, maxMoves: 2);
        Assert.That(fenced.Targets[1], Is.EqualTo("a"), "its NPCs are given a new home at once");
        Assert.That(fenced.RunSets["a"], Is.EquivalentTo(new[] { 0 }), "but not started while the lost host's brains may still run");

        var past = PlacementPlanner.Plan(3, [Host("a", 10, [0])], fenced.Targets, maxMoves: 2);
        Assert.That(past.RunSets["a"], Is.EquivalentTo(new[] { 0, 1, 2 }));
    }

    [Test]
    public void A_joining_host_takes_a_fair_share_two_moves_at_a_time_each_stopped_before_it_starts()
    {
        var all = Enumerable.Range(0, 8).ToArray();
        var targets = all.ToDictionary(id => id, _ => "a");

        var plan = PlacementPlanner.Plan(8, [Host("a", 10, all), Host("b", 10)], targets, maxMoves: 2);

        var moving = plan.Targets.Where(t => t.Value == "b").Select(t => t.Key).ToArray();
        Assert.That(moving, Is.EqualTo(new[] { 6, 7 }), "the newest two move first");
        Assert.That(plan.RunSets["a"], Is.EquivalentTo(all.Except(moving)), "a stops them (with their checkpoints)");
        Assert.That(plan.RunSets["b"], Is.Empty, "b starts them only once a no longer runs them");

        var stopped = PlacementPlanner.Plan(8, [Host("a", 10, all.Except(moving)), Host("b", 10)], plan.Targets, maxMoves: 2);
        Assert.That(stopped.RunSets["b"], Is.EquivalentTo(moving));
    }

    [Test]
    public void Rebalancing_ends_at_a_fair_share_and_never_moves_an_npc_back()
    {
        var targets = Enumerable.Range(0, 9).ToDictionary(id => id, _ => "a");
        var running = new Dictionary<string, HashSet<int>> { ["a"] = [.. targets.Keys], ["b"] = [] };
        var moves = new List<(int Id, string To)>();
        for (var round = 0; round < 20; round++)
        {
            var plan = PlacementPlanner.Plan(9, [Host("a", 10, running["a"]), Host("b", 20, running["b"])], targets, maxMoves: 2);
            moves.AddRange(plan.Targets.Where(t => targets[t.Key] != t.Value).Select(t => (t.Key, t.Value)));
            targets = plan.Targets.ToDictionary();
            // Each host does what its run set says: it stops what left it, starts what it holds.
            foreach (var host in running.Keys)
            {
                running[host] = [.. plan.RunSets[host]];
            }
        }

        Assert.That(Counts(new PlacementPlan(targets, new Dictionary<string, IReadOnlySet<int>>(), [], [])), Is.EqualTo(new Dictionary<string, int> { ["a"] = 3, ["b"] = 6 }));
        Assert.That(moves.Select(m => m.Id), Is.Unique, "no NPC moved twice");
        Assert.That(running["a"].Intersect(running["b"]), Is.Empty);
    }

    [Test]
    public void An_npc_found_on_two_live_hosts_is_a_twin_and_stops_where_it_does_not_belong()
    {
        var plan = PlacementPlanner.Plan(2, [Host("a", 10, [0, 1]), Host("b", 10, [1])], new Dictionary<int, string> { [0] = "a", [1] = "b" }, maxMoves: 2);

        Assert.That(plan.Twins, Is.EqualTo(new[] { 1 }));
        Assert.That(plan.RunSets["a"], Is.EquivalentTo(new[] { 0 }), "a stops its copy");
        Assert.That(plan.RunSets["b"], Is.EquivalentTo(new[] { 1 }), "b keeps its own");
    }

    [Test]
    public void Npcs_beyond_the_village_are_in_no_run_set()
    {
        var plan = PlacementPlanner.Plan(2, [Host("a", 10, [0, 1, 7])], NoTargets, maxMoves: 2);

        Assert.That(plan.RunSets["a"], Is.EquivalentTo(new[] { 0, 1 }), "NPC 7 is stopped");
    }
}
