using Nimmerverse.Testing;
using Nimmerverse.Testing.Brains;

namespace Nimmerverse.Supervisor.Tests.Brains;

/// <summary>
/// A real brain whose newest stored checkpoints are unusable (one of another network layout, one
/// whose weights do not load, as a forged or corrupted save would leave) restores the newest usable
/// one of those kept, rather than learning from scratch.
/// </summary>
[Category(TestTier.Integration)]
[Parallelizable(ParallelScope.Self)]
public sealed class BrainCheckpointFallbackTests
{
    private const int NpcId = 2;

    [Test]
    [CancelAfter(120_000)]
    public async Task A_brain_whose_newest_checkpoints_are_unusable_restores_the_newest_usable_one()
    {
        await using var world = await BrainWorld.StartAsync();
        await using var watcher = await NpcStateWatcher.StartAsync(world.Client, NpcId);
        long good;
        await using (var first = BrainProcess.Start(NpcId, world.Nats.Url, 10))
        {
            Assert.That(await watcher.WaitForAsync(s => s.Steps > 20, TimeSpan.FromSeconds(60)), Is.Not.Null, first.ToString());
            await world.CommandAsync(NpcId, "checkpoint");
            var acknowledged = await watcher.WaitForAsync(s => s.CheckpointSequence >= 1, TimeSpan.FromSeconds(20));
            Assert.That(acknowledged, Is.Not.Null, first.ToString());
            await first.KillHardAsync();
            good = await LatestSequenceAsync(world);
        }

        await StoreAsync(world, good + 100, "torchsharp-dqn/1x2x4", [1, 2, 3]);            // another layout
        await StoreAsync(world, good + 101, await FormatOfAsync(world, good), [9, 9, 9, 9]); // right layout, weights that do not load

        await using var restarted = BrainProcess.Start(NpcId, world.Nats.Url, 10);
        Assert.That(await Eventually.TrueAsync(() => Task.FromResult(restarted.Log.Any(l => l.Contains("restored checkpoint", StringComparison.Ordinal))), TimeSpan.FromSeconds(60)), Is.True, restarted.ToString());

        Assert.That(restarted.Log, Has.Some.Contains($"checkpoint {good + 101} is unusable (the weights do not load"));
        Assert.That(restarted.Log, Has.Some.Contains($"checkpoint {good + 100} is unusable (a torchsharp-dqn/1x2x4"));
        Assert.That(restarted.Log, Has.Some.Contains($"restored checkpoint {good}:"));
        Assert.That(restarted.Log, Has.None.Contains("learning from scratch"));
    }

    private static async Task<long> LatestSequenceAsync(BrainWorld world)
    {
        await using var command = world.DataSource.CreateCommand("select sequence from npc_checkpoints where npc_id = $1 order by id desc limit 1");
        command.Parameters.AddWithValue(NpcId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<string> FormatOfAsync(BrainWorld world, long sequence)
    {
        await using var command = world.DataSource.CreateCommand("select format from npc_checkpoints where npc_id = $1 and sequence = $2");
        command.Parameters.AddWithValue(NpcId);
        command.Parameters.AddWithValue(sequence);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Straight into the table, as a save the keeper once took (before saves were bound to their NPC's subject) would be.</summary>
    private static async Task StoreAsync(BrainWorld world, long sequence, string format, byte[] weights)
    {
        await using var insert = world.DataSource.CreateCommand(
            "insert into npc_checkpoints (message_id, npc_id, sequence, role, format, weights, steps, episodes, epsilon) values ($1, $2, $3, 'medium', $4, $5, 10, 1, 0.5)");
        insert.Parameters.AddWithValue(Guid.NewGuid());
        insert.Parameters.AddWithValue(NpcId);
        insert.Parameters.AddWithValue(sequence);
        insert.Parameters.AddWithValue(format);
        insert.Parameters.AddWithValue(weights);
        await insert.ExecuteNonQueryAsync();
    }
}
