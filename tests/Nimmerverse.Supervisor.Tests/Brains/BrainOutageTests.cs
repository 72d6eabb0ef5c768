using Nimmerverse.Testing.Brains;
using Nimmerverse.Testing;

namespace Nimmerverse.Supervisor.Tests.Brains;

/// <summary>A brain that loses NATS keeps ticking at its last rate, reconnects by itself, and keeps what it learned.</summary>
[Category(TestTier.Integration)]
[Parallelizable(ParallelScope.Self)]
public sealed class BrainOutageTests
{
    [Test]
    public async Task A_brain_ticks_through_a_NATS_outage_and_continues_where_it_was()
    {
        await using var world = await BrainWorld.StartAsync();
        await using var watcher = await NpcStateWatcher.StartAsync(world.Client, 2);
        await using var brain = BrainProcess.Start(2, world.Nats.Url, 10);
        var before = await watcher.WaitForAsync(s => s.Steps >= 20, TimeSpan.FromSeconds(20));
        Assert.That(before, Is.Not.Null);

        await world.Nats.StopAsync();
        var outage = TimeSpan.FromSeconds(3);
        await Task.Delay(outage);
        var lastBeforeOutage = watcher.Latest!;
        await world.Nats.RestartAsync();

        var after = await watcher.WaitForAsync(s => s.Tick > lastBeforeOutage.Tick + 25 && s.Steps > lastBeforeOutage.Steps, TimeSpan.FromSeconds(20));
        Assert.That(after, Is.Not.Null, $"states and steps resume after the outage; {brain}");
        var firstAfter = watcher.States.First(s => s.State.Tick > lastBeforeOutage.Tick).State;
        // It ticked on during the outage (about 10 ticks a second), rather than stopping.
        Assert.That(firstAfter.Tick - lastBeforeOutage.Tick, Is.GreaterThanOrEqualTo(20));
        Assert.That(firstAfter.Steps, Is.GreaterThanOrEqualTo(lastBeforeOutage.Steps), "its learned state was kept");
        Assert.That(firstAfter.TickRateHz, Is.EqualTo(10));
        Assert.That(brain.HasExited, Is.False);
    }
}
