using Nimmerverse.Testing;
using Nimmerverse.Testing.Brains;

namespace Nimmerverse.Supervisor.Tests.Brains;

/// <summary>
/// A real brain started as a newcomer (<c>--start fresh</c>, what the NPC host starts once an NPC's
/// lifetime is over) learns from nothing although the NPC has a checkpoint, and hands over its own at
/// once, so that a later restart continues the newcomer rather than the NPC before it.
/// </summary>
[Category(TestTier.Integration)]
[Parallelizable(ParallelScope.Self)]
public sealed class BrainNewcomerTests
{
    private const int NpcId = 3;

    [Test]
    [CancelAfter(120_000)]
    public async Task A_newcomer_ignores_the_npcs_checkpoint_and_a_restart_continues_the_newcomer()
    {
        await using var world = await BrainWorld.StartAsync();
        await using var watcher = await NpcStateWatcher.StartAsync(world.Client, NpcId);
        await using (var old = BrainProcess.Start(NpcId, world.Nats.Url, 10))
        {
            Assert.That(await watcher.WaitForAsync(s => s.Steps > 60, TimeSpan.FromSeconds(60)), Is.Not.Null, old.ToString());
            await world.CommandAsync(NpcId, "checkpoint");
            Assert.That(await watcher.WaitForAsync(s => s.CheckpointSequence >= 1, TimeSpan.FromSeconds(20)), Is.Not.Null, old.ToString());
            await old.KillHardAsync();
        }

        await using (var newcomer = BrainProcess.Start(NpcId, world.Nats.Url, 10, "--start", "fresh"))
        {
            var first = await watcher.WaitForAsync(s => s.CheckpointSequence >= 1 && s.Steps < 40, TimeSpan.FromSeconds(30));
            Assert.That(first, Is.Not.Null, $"its own first checkpoint, acknowledged before it has learnt much\n{newcomer}");
            Assert.That(newcomer.Log, Has.Some.Contains("a newcomer, learning from nothing"));
            Assert.That(newcomer.Log, Has.None.Contains("restored checkpoint"));
            await newcomer.KillHardAsync();
        }

        await using var restarted = BrainProcess.Start(NpcId, world.Nats.Url, 10);
        Assert.That(await Eventually.TrueAsync(() => Task.FromResult(restarted.Log.Any(l => l.Contains("restored checkpoint", StringComparison.Ordinal))), TimeSpan.FromSeconds(60)), Is.True, restarted.ToString());
        var restored = restarted.Log.First(l => l.Contains("restored checkpoint", StringComparison.Ordinal));
        var steps = int.Parse(restored.Split(": ")[^1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(steps, Is.LessThan(60), $"the newcomer's weights, not the old brain's ({restored})");
    }
}
