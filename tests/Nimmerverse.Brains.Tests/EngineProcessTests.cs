using Nimmerverse.Protocol;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Brains;

namespace Nimmerverse.Brains.Tests;

/// <summary>A brain on the lean engine never loads LibTorch; one started with <c>--engine torch</c> does.</summary>
[Category(TestTier.Integration)]
public sealed class EngineProcessTests
{
    [TestCase(BrainCommandLine.LeanEngine, false)]
    [TestCase(BrainCommandLine.TorchEngine, true)]
    public async Task The_brain_maps_LibTorch_only_on_the_torch_engine(string engine, bool mapsLibTorch)
    {
        // No bus: the brain lives on, ticking and retrying, which is all this needs.
        await using var brain = BrainProcess.Start(4, "nats://127.0.0.1:1", 5, "--engine", engine);
        var alive = await Eventually.TrueAsync(() => Task.FromResult(brain.Log.Any(l => l.Contains($"on the {engine} engine", StringComparison.Ordinal))), TimeSpan.FromSeconds(30));
        Assert.That(alive, Is.True, brain.ToString());
        // A learner is built before the first tick; a few ticks later everything it needs is mapped.
        await Task.Delay(TimeSpan.FromSeconds(1));

        var maps = await File.ReadAllTextAsync($"/proc/{brain.Pid}/maps");

        Assert.That(maps.Contains("libtorch", StringComparison.Ordinal), Is.EqualTo(mapsLibTorch), $"libtorch in /proc/{brain.Pid}/maps");
        Assert.That(maps.Contains("libLibTorchSharp", StringComparison.Ordinal), Is.EqualTo(mapsLibTorch), "TorchSharp's native bridge mapped");
    }
}
