using Nimmerverse.Actors.World;
using Nimmerverse.Protocol;
using Nimmerverse.Testing.Brains;
using Nimmerverse.Testing;

namespace Nimmerverse.Supervisor.Tests.Brains;

/// <summary>
/// Learning is real: one brain process, with a fixed seed, learns to find its home on the 5x5
/// arena from random starts, far better than a random walk in the same world; and what it
/// learned survives a kill -9 through its checkpoint in PostgreSQL. The brain is trained once,
/// in the set-up, at the fastest tick rate (20 Hz); both tests read that one training.
/// </summary>
[Category(TestTier.Integration)]
[Parallelizable(ParallelScope.Self)]
public sealed class BrainLearningTests
{
    private const int NpcId = 0;
    private const double TickRateHz = 20;
    private static readonly TimeSpan TrainingBudget = TimeSpan.FromMinutes(4);

    private BrainWorld _world = null!;
    private NpcStateWatcher _watcher = null!;
    private BrainProcess _brain = null!;
    private NpcStateBody? _trained;
    private TimeSpan _trainingTime;

    [OneTimeSetUp]
    public async Task Train()
    {
        _world = await BrainWorld.StartAsync();
        _watcher = await NpcStateWatcher.StartAsync(_world.Client, NpcId);
        _brain = BrainProcess.Start(NpcId, _world.Nats.Url, TickRateHz, "--seed", "11");
        var started = DateTimeOffset.UtcNow;
        // A full window of episodes (50) with at least 90 % found.
        _trained = await _watcher.WaitForAsync(s => s.Episode >= 50 && s.SuccessRate >= 0.9, TrainingBudget);
        _trainingTime = DateTimeOffset.UtcNow - started;
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _brain.DisposeAsync();
        await _watcher.DisposeAsync();
        await _world.DisposeAsync();
    }

    [Test]
    public void A_trained_brain_finds_its_home_in_90_percent_of_episodes_far_more_often_than_a_random_walk()
    {
        var random = RandomWalkSuccessRate(episodes: 4000);
        TestContext.Out.WriteLine($"trained: {_trained?.SuccessRate:P0} after {_trainingTime.TotalSeconds:F0} s ({_trained?.Steps} steps, {_trained?.Episode} episodes); random walk: {random:P1}");

        Assert.That(_trained, Is.Not.Null, $"the brain did not reach 90 % within {TrainingBudget}; its latest state: {_watcher.Latest}");
        Assert.That(_trained!.SuccessRate, Is.GreaterThanOrEqualTo(0.9));
        Assert.That(random, Is.LessThan(0.4), "the arena must not be easy for a random walk");
        Assert.That(_trained.SuccessRate - random, Is.GreaterThanOrEqualTo(0.5), "trained against random");
        Assert.That(_watcher.Invalid, Is.Zero, "every state the brain published is a valid npc_state");
    }

    [Test]
    public async Task After_a_kill_9_the_restarted_brain_succeeds_as_the_trained_one_did()
    {
        Assert.That(_trained, Is.Not.Null, "the brain did not learn in the set-up");
        var before = _watcher.Latest!;
        await _world.CommandAsync(NpcId, "checkpoint");
        var acknowledged = await _watcher.WaitForAsync(s => s.CheckpointSequence > before.CheckpointSequence, TimeSpan.FromSeconds(10));
        Assert.That(acknowledged, Is.Not.Null, "the supervisor acknowledged the commanded checkpoint");

        await _brain.KillHardAsync();
        await using var restartedWatcher = await NpcStateWatcher.StartAsync(_world.Client, NpcId);
        await using var restarted = BrainProcess.Start(NpcId, _world.Nats.Url, TickRateHz, "--seed", "11");

        // Restored, it reports the success window it checkpointed (not one refilling from nothing, which the
        // governor would read as learning), before it has run a window of new errands.
        var restored = await restartedWatcher.WaitForAsync(s => s.Episode > 0, TimeSpan.FromSeconds(60));
        Assert.That(restored, Is.Not.Null, $"the restarted brain did not restore; {restarted}");
        TestContext.Out.WriteLine($"restored: {restored!.SuccessRate:P0} over {restored.SuccessErrands} errands at episode {restored.Episode} (checkpointed near episode {acknowledged!.Episode}, {before.SuccessRate:P0})");
        Assert.That(restored.Episode, Is.LessThanOrEqualTo(acknowledged.Episode + 5), "a state from before a new window could have filled");
        Assert.That(restored.SuccessErrands, Is.EqualTo(NpcStateBody.SuccessWindow), "the checkpointed window, full");
        Assert.That(restored.SuccessRate, Is.GreaterThanOrEqualTo(0.8), "what the trained brain had reached");

        // Each state says whether the brain has seen the world yet: until it has, its lifeforce reads 0 and means
        // nothing (the governor measures no epoch from such a state); once it has, it is its citizen's, earned before.
        var states = restartedWatcher.States.Select(s => s.State).ToList();
        Assert.That(states.Select(s => s.InWorld), Has.None.Null);
        Assert.That(states.Where(s => s.InWorld == false).Select(s => s.Lifeforce), Has.All.Zero);
        Assert.That(states.Where(s => s.InWorld == true).Select(s => s.Lifeforce), Is.Not.Empty.And.All.GreaterThan(0));

        // And then 30 episodes of what the restored weights do now.
        var after = await restartedWatcher.WaitForAsync(s => s.Episode >= acknowledged!.Episode + 30, TimeSpan.FromSeconds(90));
        Assert.That(after, Is.Not.Null, $"the restarted brain did not live 30 episodes; {restarted}");
        TestContext.Out.WriteLine($"after restart: {after!.SuccessRate:P0} over 30 episodes, epsilon {after.Epsilon:F2}, steps {after.Steps}");
        Assert.That(after.CheckpointSequence, Is.GreaterThanOrEqualTo(acknowledged!.CheckpointSequence), "it continued from the acknowledged checkpoint");
        Assert.That(after.Steps, Is.GreaterThan(acknowledged.Steps), "its step count continued instead of starting over");
        Assert.That(after.Epsilon, Is.LessThanOrEqualTo(acknowledged.Epsilon).And.LessThan(0.9), "it explores as far as it had grown, not as a newborn (1.0)");
        Assert.That(after.SuccessRate, Is.GreaterThanOrEqualTo(0.8).And.GreaterThan(RandomWalkSuccessRate(4000) + 0.4));
        Assert.That(restarted.Log, Has.Some.Contains($"restored checkpoint {acknowledged.CheckpointSequence}"));
    }

    /// <summary>The baseline, measured beside the brain with the same world rules and settings: a uniformly random open move each step.</summary>
    private static double RandomWalkSuccessRate(int episodes)
    {
        var world = new GridWorld(BrainWorld.Arena);
        var random = new Random(5);
        var observation = world.Step(NpcId, null).Observation!;
        var (ended, found) = (0, 0);
        while (ended < episodes)
        {
            var move = Moves.IndexOf(observation.OpenMoves[random.Next(observation.OpenMoves.Count)]);
            observation = world.Step(NpcId, move).Observation!;
            if (observation.Done)
            {
                ended++;
                found += observation.Success ? 1 : 0;
            }
        }

        return (double)found / episodes;
    }
}
