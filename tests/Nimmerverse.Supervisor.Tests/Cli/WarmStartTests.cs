using Microsoft.Extensions.Time.Testing;
using Nimmerverse.Actors.Governor;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Cli;
using Nimmerverse.Supervisor.Persistence;
using Nimmerverse.Supervisor.Tests.Persistence;
using Nimmerverse.Testing;

namespace Nimmerverse.Supervisor.Tests.Cli;

/// <summary>
/// <c>nimmerverse trails warm-start</c> against a real PostgreSQL: the governor's trails, exported, train
/// the learned governor, whose weights become its newest checkpoint; a file it cannot learn from is refused.
/// </summary>
[Category(TestTier.Integration)]
public sealed class WarmStartTests : FreshDatabaseTest
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero));
    private string _file = null!;

    [SetUp]
    public void Place() => _file = Path.Combine(Path.GetTempPath(), $"nv-warm-{Guid.NewGuid():N}.jsonl");

    [TearDown]
    public void Remove() => File.Delete(_file);

    private Task<(int Exit, string Output, string Error)> TrailsAsync(params string[] args) => TrailsAsync(GovernorSettings.Default, args);

    private async Task<(int Exit, string Output, string Error)> TrailsAsync(GovernorSettings governor, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await new TrailsCommand(output, error).RunAsync(args, Database.ConnectionString, _clock, CancellationToken.None, governor);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>NPCs 0-3 over 60 epochs a second apart, each decision with the outcome of its NPC's one before.</summary>
    private static List<DecisionTrail> Recorded()
    {
        var start = new DateTimeOffset(2026, 12, 3, 11, 0, 0, TimeSpan.Zero);
        return [.. Enumerable.Range(1, 60).SelectMany(epoch => Enumerable.Range(0, 4).Select(npc => new DecisionTrail(
            Guid.NewGuid(), epoch, npc, "theia", "progress-share", start.AddSeconds(epoch),
            [.. Enumerable.Range(0, GovernorFeatures.Count).Select(f => (float)((f + npc) % 3) / 3)],
            new NpcAllocation(npc, 1 + ((epoch * 7 + npc) % 20), 25, false, 5), 0.5, 0.1,
            epoch == 1 ? null : new NpcYield(0.01 * npc, 0.02))))];
    }

    [Test]
    public async Task An_export_of_the_governors_trails_becomes_its_newest_checkpoint()
    {
        await SchemaMigrations.ApplyAsync(DataSource, default);
        await new PostgresDecisionTrailStore(DataSource, new PostgresDeadLetters(DataSource)).WriteAsync(Recorded(), default);
        Assert.That((await TrailsAsync("export", "--what", "governor", "--out", _file)).Exit, Is.Zero);

        var (exit, output, error) = await TrailsAsync("warm-start", "--from", _file, "--passes", "3");

        Assert.That(exit, Is.Zero, error);
        // Each NPC's 60 decisions: 59 with an outcome after them, of which the first 29 have a full horizon (30) behind them.
        Assert.That(output, Does.Contain($"{4 * (59 - LearnedPolicy.DefaultHorizon)} decisions of 4 trajectories credited per pass").And.Contain("4 of 240 without an outcome after them"));
        var checkpoint = await new PostgresGovernorCheckpoints(DataSource).LatestAsync(GovernorSettings.Learned, default);
        Assert.That(checkpoint, Is.Not.Null, "stored where the governor looks for its weights");
        using var policy = new LearnedPolicy(0, 0.001, 9);
        Assert.DoesNotThrow(() => policy.LoadWeights(checkpoint!.Value.Weights), "weights of the governor's own shape");
    }

    [Test]
    public async Task Where_the_governor_is_the_bandit_per_class_the_export_warm_starts_the_bandit()
    {
        await SchemaMigrations.ApplyAsync(DataSource, default);
        await new PostgresDecisionTrailStore(DataSource, new PostgresDeadLetters(DataSource)).WriteAsync(Recorded(), default);
        Assert.That((await TrailsAsync("export", "--what", "governor", "--out", _file)).Exit, Is.Zero);

        var (exit, output, error) = await TrailsAsync(GovernorSettings.Default with { Policy = GovernorSettings.ClassBandit }, "warm-start", "--from", _file);

        Assert.That(exit, Is.Zero, error);
        // Each NPC's 59 decisions with an outcome after them make one whole hold with an epoch after it.
        Assert.That(output, Does.Contain($"4 holds of {ClassBanditPolicy.DefaultHoldEpochs} epochs booked from 4 trajectories"));
        var checkpoint = await new PostgresGovernorCheckpoints(DataSource).LatestAsync(GovernorSettings.ClassBandit, default);
        Assert.That(checkpoint, Is.Not.Null, "stored where the bandit looks for its statistics");
        Assert.That(await new PostgresGovernorCheckpoints(DataSource).LatestAsync(GovernorSettings.Learned, default), Is.Null, "and not as the learned governor's");
        using var policy = new ClassBanditPolicy(seed: 9);
        Assert.DoesNotThrow(() => policy.LoadWeights(checkpoint!.Value.Weights), "statistics of the bandit's own format");
    }

    [Test]
    public async Task A_file_with_nothing_to_learn_from_or_none_at_all_is_refused_and_stores_nothing()
    {
        await SchemaMigrations.ApplyAsync(DataSource, default);
        await new PostgresDecisionTrailStore(DataSource, new PostgresDeadLetters(DataSource)).WriteAsync([.. Recorded().Where(t => t.Epoch <= 20)], default);
        Assert.That((await TrailsAsync("export", "--what", "governor", "--out", _file)).Exit, Is.Zero);

        var tooShort = await TrailsAsync("warm-start", "--from", _file);
        Assert.That(tooShort.Exit, Is.EqualTo(WarmStartCommand.ExitDataError));
        Assert.That(tooShort.Error, Does.Contain($"none of its 80 decisions can be learnt from: a decision needs {LearnedPolicy.DefaultHorizon} epochs"));

        await File.WriteAllTextAsync(_file, """{"what": "cortex", "messages": []}""" + "\n");
        Assert.That((await TrailsAsync("warm-start", "--from", _file)).Error, Does.Contain("line 1 is not a governor example"));
        Assert.That((await TrailsAsync("warm-start", "--from", _file + ".missing")).Exit, Is.EqualTo(WarmStartCommand.ExitNoInput));
        Assert.That((await TrailsAsync("warm-start", "--from", _file, "--passes", "0")).Exit, Is.EqualTo(Program.ExitUsage));
        Assert.That(await new PostgresGovernorCheckpoints(DataSource).LatestAsync(GovernorSettings.Learned, default), Is.Null);
    }
}
