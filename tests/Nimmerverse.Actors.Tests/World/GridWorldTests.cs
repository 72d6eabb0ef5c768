using Microsoft.Extensions.Time.Testing;
using Nimmerverse.Actors.World;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.World;

[Category(TestTier.Unit)]
public sealed class GridWorldTests
{
    private static readonly GridWorldSettings Small = GridWorldSettings.Default with { Citizens = 3, QuizEvery = 2, MaxLevel = 1, Seed = 3 };

    [Test]
    public void The_grid_numbers_nodes_row_major_and_counts_neighbours_as_the_domain_says()
    {
        var map = new GridMap(5, 5);

        int Neighbours(int node) => Enumerable.Range(0, 4).Count(m => map.Neighbour(node, m) is not null);

        Assert.That(new[] { 0, 4, 20, 24 }.Select(Neighbours), Is.All.EqualTo(2), "corners");
        Assert.That(new[] { 1, 5, 9, 23 }.Select(Neighbours), Is.All.EqualTo(3), "edges");
        Assert.That(Neighbours(12), Is.EqualTo(4), "interior");
        Assert.That((map.Neighbour(7, 0), map.Neighbour(7, 1), map.Neighbour(7, 2), map.Neighbour(7, 3)), Is.EqualTo(((int?)2, (int?)12, (int?)8, (int?)6)));
        Assert.That(map.Distance(0, 24), Is.EqualTo(8));
    }

    [Test]
    public void Every_citizen_has_a_home_of_its_own_told_apart_by_its_traits_and_the_same_seed_builds_the_same_village()
    {
        var village = Village.Build(new Curriculum(5, 5, 3), 0, 0, 25, new Random(1));

        Assert.That(village.Homes.Select(h => h.Node).Distinct().Count(), Is.EqualTo(25));
        Assert.That(village.Homes.Select(h => string.Join(',', h.Traits)).Distinct().Count(), Is.EqualTo(25));
        Assert.That(village.Homes.All(h => h.Traits.Count == 2));
        Assert.That(Village.Build(new Curriculum(5, 5, 3), 0, 0, 25, new Random(1)).Homes, Is.EqualTo(village.Homes).Using<House>((a, b) => a.Node == b.Node && a.Traits.SequenceEqual(b.Traits)));
        Assert.That(Village.Build(new Curriculum(5, 5, 3), 2, 0, 25, new Random(1)).Homes.All(h => h.Traits.Count == 4), "level 2 adds two trait kinds");
    }

    [Test]
    public void An_unknown_npc_is_refused_with_a_reason()
    {
        var world = new GridWorld(Small);

        var (observation, error) = world.Step(3, null);

        Assert.That(observation, Is.Null);
        Assert.That(error, Is.EqualTo("npc 3 is not a citizen of this world (0..2)"));
    }

    [Test]
    public void Reaching_the_goal_pays_ends_the_episode_and_starts_the_next()
    {
        var world = new GridWorld(Small with { OwnHomeShare = 1 });
        var start = world.Step(0, null).Observation!;
        var home = world.Villages[0].Homes[0];
        Assert.That(start.GoalTraits, Is.EqualTo(home.Traits));
        Assert.That(start.StepsLeft, Is.EqualTo(GridWorldSettings.StepBudget(world.Villages[0].Map.Distance(start.Node, home.Node))));

        var observation = start;
        var shortest = GridQuiz.ShortestPath(world.Villages[0]);
        var steps = 0;
        while (!observation.Done)
        {
            observation = world.Step(0, shortest(observation.Node, home, [])).Observation!;
            steps++;
        }

        Assert.That(steps, Is.EqualTo(world.Villages[0].Map.Distance(start.Node, home.Node)));
        Assert.That(observation.Success, Is.True);
        Assert.That(observation.Reward, Is.EqualTo(Small.GoalReward - Small.StepCost).Within(1e-9));
        Assert.That(observation.Episode, Is.EqualTo(start.Episode + 1), "the observation already shows the next episode");
        Assert.That(observation.Lifeforce, Is.EqualTo(Small.InitialLifeforce + Small.GoalIncome - (steps * Small.MoveCost)).Within(1e-9));
        var (earned, spent) = world.TakeLifeforce();
        Assert.That((earned, spent), Is.EqualTo((Small.GoalIncome, steps * Small.MoveCost)).Using<(double, double)>((a, b) => Math.Abs(a.Item1 - b.Item1) < 1e-9 && Math.Abs(a.Item2 - b.Item2) < 1e-9));
    }

    [Test]
    public void A_move_off_the_grid_costs_a_bump_and_an_episode_out_of_steps_fails()
    {
        var world = new GridWorld(Small with { OwnHomeShare = 1 });
        var observation = world.Step(0, null).Observation!;
        var closed = Enumerable.Range(0, 4).FirstOrDefault(m => !observation.OpenMoves.Contains(Moves.All[m]), -1);
        // Walk to a corner first, where two moves are closed.
        while (closed < 0)
        {
            observation = world.Step(0, 0).Observation!;
            closed = Enumerable.Range(0, 4).FirstOrDefault(m => !observation.OpenMoves.Contains(Moves.All[m]), -1);
        }

        var node = observation.Node;
        var episode = observation.Episode;
        var bumped = world.Step(0, closed).Observation!;
        if (bumped.Episode == episode)
        {
            Assert.That(bumped.Node, Is.EqualTo(node));
            Assert.That(bumped.Reward, Is.EqualTo(-Small.StepCost - Small.BumpPenalty).Within(1e-9));
        }

        while (!bumped.Done)
        {
            bumped = world.Step(0, closed).Observation!;
        }

        Assert.That(bumped.Success, Is.False, "bumping into the edge never reaches the goal");
    }

    [Test]
    public void A_move_into_a_full_node_is_a_collision_and_an_absent_npc_no_longer_occupies_its_node()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var world = new GridWorld(Small with { NodeCapacity = 1, Citizens = 2 }, clock);
        var a = world.Step(0, null).Observation!;
        var b = world.Step(1, null).Observation!;
        // Walk b next to a along the grid, then into it.
        var map = world.Villages[0].Map;
        var policy = GridQuiz.ShortestPath(world.Villages[0]);
        var target = new House(-1, a.Node, [0, 0]);
        WorldObservation? collided = null;
        for (var i = 0; i < 20 && collided is null && !b.Done; i++)
        {
            b = world.Step(1, policy(b.Node, target, [])).Observation!;
            collided = b.Collision ? b : null;
        }

        Assert.That(collided, Is.Not.Null, "b ran into a's node");
        Assert.That(map.Distance(collided!.Node, a.Node), Is.EqualTo(1), "it stayed next to a");
        Assert.That(collided.Reward, Is.EqualTo(-Small.StepCost - Small.CollisionPenalty).Within(1e-9));
        Assert.That(world.Collisions, Is.EqualTo(1));

        clock.Advance(Small.AbsentAfter + TimeSpan.FromSeconds(1));
        var moved = world.Step(1, policy(collided.Node, target, [])).Observation!;
        Assert.That(moved.Collision, Is.False, "a has not stepped for longer than AbsentAfter: its node is free");
    }

    [Test]
    public void A_quiz_asks_for_every_home_and_when_every_citizen_passes_the_village_levels_up()
    {
        var world = new GridWorld(Small);
        var perfect = GridQuiz.ShortestPath(world.Villages[0]);
        var observations = Enumerable.Range(0, 3).Select(id => world.Step(id, null).Observation!).ToArray();
        var quizzed = new HashSet<string>();
        for (var step = 0; step < 5000 && world.Level == 0; step++)
        {
            var id = step % 3;
            var seen = observations[id];
            if (seen.Quiz)
            {
                quizzed.Add($"{id}:{seen.Goal}");
            }

            var goal = world.Villages[0].Homes.Single(h => h.Traits.SequenceEqual(seen.GoalTraits));
            observations[id] = world.Step(id, perfect(seen.Node, goal, [])).Observation!;
        }

        Assert.That(world.Level, Is.EqualTo(1), "perfect citizens pass the quiz and the village levels up");
        Assert.That(quizzed, Has.Count.EqualTo(9), "each of three citizens was asked for each of three homes");
        Assert.That(world.Villages[0].Map, Is.EqualTo(new GridMap(7, 7)));
        Assert.That(world.Villages[0].Homes.All(h => h.Traits.Count == 3));
        Assert.That(world.Report().Citizens.All(c => c.Rounds == 0), "standings start over at the new level");
    }

    [Test]
    public void A_citizen_started_over_drops_the_round_it_was_in_and_counts_its_training_episodes_from_nothing()
    {
        var world = new GridWorld(Small);
        var perfect = GridQuiz.ShortestPath(world.Villages[0]);
        var seen = world.Step(0, null).Observation!;
        WorldObservation Next()
        {
            var goal = world.Villages[0].Homes.Single(h => h.Traits.SequenceEqual(seen.GoalTraits));
            return seen = world.Step(0, perfect(seen.Node, goal, [])).Observation!;
        }

        // One whole round, passed, then into the next one.
        while (world.Report().Citizens[0].Rounds == 0 || !seen.Quiz)
        {
            Next();
        }

        Assert.That(world.Report().Citizens[0].Passed, "the brain before passed its round");
        Assert.That(world.StartOver(0), Is.Null);
        seen = world.Step(0, null).Observation!;

        Assert.That(seen.Quiz, Is.False, "the round the brain before was in is dropped");
        Assert.That((world.Report().Citizens[0].Rounds, world.Report().Citizens[0].Passed), Is.EqualTo((0, false)), "the newcomer has taken no round");
        while (!Next().Done)
        {
        }

        world.StartOver(0); // one training episode in: counted on, the next quiz would come one sooner
        seen = world.Step(0, null).Observation!;
        var training = 0;
        while (!seen.Quiz)
        {
            training += Next().Done ? 1 : 0; // an episode ended; the observation is of the next one
        }

        Assert.That(training, Is.EqualTo(Small.QuizEvery), "its first quiz comes after as many training episodes as any brain's");
        Assert.That(world.StartOver(3), Does.Contain("npc 3 is not a citizen"));
    }

    [Test]
    public void The_quiz_oracle_passes_the_shortest_path_policy_and_fails_a_policy_that_stands_still()
    {
        var village = Village.Build(new Curriculum(5, 5, 3), 0, 0, 25, new Random(2));
        var questions = GridQuiz.Questions(village, new Random(3));

        var perfect = GridQuiz.Grade(village, questions, GridQuiz.ShortestPath(village));
        var stubborn = GridQuiz.Grade(village, questions, (node, _, open) => open.Contains(0) ? 0 : open[0]);

        Assert.That(perfect, Is.EqualTo(new GridQuiz.Result(25, 25)));
        Assert.That(perfect.Passed);
        Assert.That(stubborn.Passed, Is.False);
        Assert.That(stubborn.Found, Is.LessThan(10));
    }

    /// <summary>Perfect citizens until the village levels up.</summary>
    private static GridWorld LevelledUp()
    {
        var world = new GridWorld(Small);
        var perfect = GridQuiz.ShortestPath(world.Villages[0]);
        var observations = Enumerable.Range(0, 3).Select(id => world.Step(id, null).Observation!).ToArray();
        for (var step = 0; step < 5000 && world.Level == 0; step++)
        {
            var id = step % 3;
            var goal = world.Villages[0].Homes.Single(h => h.Traits.SequenceEqual(observations[id].GoalTraits));
            observations[id] = world.Step(id, perfect(observations[id].Node, goal, [])).Observation!;
        }

        Assert.That(world.Level, Is.EqualTo(1));
        return world;
    }

    [Test]
    public void A_restored_world_continues_at_the_level_village_and_standings_it_was_saved_with()
    {
        var before = LevelledUp();
        var snapshot = System.Text.Json.JsonSerializer.Deserialize(
            System.Text.Json.JsonSerializer.Serialize(before.Snapshot(), WorldSnapshotJsonContext.Default.WorldSnapshot), WorldSnapshotJsonContext.Default.WorldSnapshot)!;

        var after = new GridWorld(Small);
        Assert.That(after.Restore(snapshot), Is.Null);

        Assert.That(after.Level, Is.EqualTo(1));
        Assert.That(after.Villages[0].Map, Is.EqualTo(before.Villages[0].Map));
        Assert.That(after.Villages[0].Homes.Select(h => (h.Node, string.Join(",", h.Traits))), Is.EqualTo(before.Villages[0].Homes.Select(h => (h.Node, string.Join(",", h.Traits)))));
        Assert.That(after.Report(), Is.EqualTo(before.Report()).Using<QuizReportBody>((a, b) => a.Level == b.Level && a.Citizens.SequenceEqual(b.Citizens)));
        var first = after.Step(0, null).Observation!;
        Assert.That(first.Episode, Is.EqualTo(before.Snapshot().Citizens[0].Episode + 1), "each citizen starts a new episode, counting on");
    }

    [Test]
    public void A_snapshot_of_another_village_size_is_refused_and_changes_nothing()
    {
        var snapshot = LevelledUp().Snapshot();
        var other = new GridWorld(Small with { Citizens = 2 });

        Assert.That(other.Restore(snapshot), Does.Contain("World:Citizens changed"));
        Assert.That(other.Level, Is.Zero);
    }
}
