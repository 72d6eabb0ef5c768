using Nimmerverse.Protocol;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Brains;

namespace Nimmerverse.Supervisor.Tests.Brains;

/// <summary>
/// A brain with a lease (<c>--lease</c>) runs only while someone renews it: when renewals stop (its supervisor died or
/// was cut off) it stops itself, hands over its weights and exits 75; renewed, it runs on past its lease.
/// </summary>
[Category(TestTier.Integration)]
[Parallelizable(ParallelScope.Self)]
public sealed class BrainLeaseTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(3);

    private BrainWorld _world = null!;

    [OneTimeSetUp]
    public async Task Start() => _world = await BrainWorld.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _world.DisposeAsync();

    [Test]
    public async Task A_renewed_brain_runs_past_its_lease_and_one_no_longer_renewed_stops_itself_with_a_last_checkpoint()
    {
        await using var watcher = await NpcStateWatcher.StartAsync(_world.Client, 3);
        await using var brain = BrainProcess.Start(3, _world.Nats.Url, 10, "--lease", Lease.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var renewing = new CancellationTokenSource();
        var renewals = Task.Run(async () =>
        {
            while (!renewing.IsCancellationRequested)
            {
                await _world.CommandAsync(3, NpcCommandBody.RenewLease);
                await Task.Delay(Lease / 3, CancellationToken.None);
            }
        });
        Assert.That(await watcher.WaitForAsync(s => s.Steps >= 5, TimeSpan.FromSeconds(30)), Is.Not.Null, $"the brain steps: {brain}");

        await Task.Delay(Lease * 2);
        Assert.That(brain.HasExited, Is.False, $"renewed, it runs on past twice its lease: {brain}");

        await renewing.CancelAsync();
        await renewals;
        var stoppedRenewingAt = DateTimeOffset.UtcNow;
        var checkpoints = await _world.CheckpointsOfAsync(3);
        var exitCode = await brain.WaitForExitAsync(Lease * 4);

        Assert.That(exitCode, Is.EqualTo(75), brain.ToString());
        Assert.That(DateTimeOffset.UtcNow - stoppedRenewingAt, Is.GreaterThan(Lease - TimeSpan.FromSeconds(1.5)), "not before its lease lapsed");
        Assert.That(brain.Log, Has.Some.Contains("lease"), "it says why it stopped");
        Assert.That(await _world.CheckpointsOfAsync(3), Is.GreaterThan(checkpoints), "it handed over its weights on the way out");
    }

    [Test]
    public async Task A_brain_that_never_hears_a_renewal_stops_when_its_first_lease_lapses()
    {
        await using var brain = BrainProcess.Start(2, _world.Nats.Url, 5, "--lease", "2");

        Assert.That(await brain.WaitForExitAsync(TimeSpan.FromSeconds(30)), Is.EqualTo(75), brain.ToString());
    }
}
