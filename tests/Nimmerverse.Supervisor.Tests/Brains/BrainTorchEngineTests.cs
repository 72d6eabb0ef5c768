using Nimmerverse.Protocol;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Brains;

namespace Nimmerverse.Supervisor.Tests.Brains;

/// <summary>
/// The shipped brain is a native (ahead-of-time) binary, and TorchSharp works in it: with
/// <c>--engine torch</c> it steps in the world and takes gradient steps on LibTorch.
/// </summary>
[Category(TestTier.Integration)]
[Parallelizable(ParallelScope.Self)]
public sealed class BrainTorchEngineTests
{
    [Test]
    public async Task The_shipped_brain_learns_on_the_torch_engine()
    {
        const int npcId = 2;
        await using var world = await BrainWorld.StartAsync();
        await using var watcher = await NpcStateWatcher.StartAsync(world.Client, npcId);
        await using var brain = BrainProcess.Start(npcId, world.Nats.Url, 20, "--engine", BrainCommandLine.TorchEngine);

        // Gradient steps begin once the replay memory holds 64 transitions; the loss is theirs.
        var learning = await watcher.WaitForAsync(s => s.Steps >= 150 && s.Loss > 0, TimeSpan.FromSeconds(90));

        Assert.That(learning, Is.Not.Null, $"no gradient steps on the torch engine; latest state {watcher.Latest}; {brain}");
        Assert.That(brain.Log, Has.Some.Contains("on the torch engine"));
        Assert.That(double.IsFinite(learning!.Loss), Is.True);
        Assert.That(watcher.Invalid, Is.Zero, "every state is a valid npc_state");
    }
}
