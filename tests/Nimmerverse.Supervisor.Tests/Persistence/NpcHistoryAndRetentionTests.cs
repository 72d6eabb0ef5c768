using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Nimmerverse.Actors.Npc;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Persistence;
using Nimmerverse.Testing;

namespace Nimmerverse.Supervisor.Tests.Persistence;

/// <summary>NPC history in the real PostgreSQL, read back as a bounded curve, and the pruner that keeps tables from growing forever.</summary>
[Category(TestTier.Integration)]
public sealed class NpcHistoryAndRetentionTests : FreshDatabaseTest
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    private static NpcSample Sample(int npc, DateTimeOffset at, double success) =>
        new(at, "theia", new NpcStateBody(npc, 100, 10, 9.5, 1, 0, 4, success, 0.5, 0.1, 20, 1500, Level: 2, Epsilon: 0.3));

    [Test]
    public async Task A_day_of_samples_comes_back_as_at_most_500_averaged_points_oldest_first()
    {
        await SchemaMigrations.ApplyAsync(DataSource, CancellationToken.None);
        var store = new PostgresNpcSamples(DataSource);
        // A day at one sample a minute for NPC 3, success climbing from 0 to 1; and NPC 4, which is not asked for.
        var day = Enumerable.Range(0, 1440).Select(m => Sample(3, Now.AddMinutes(m - 1440), m / 1439.0)).Append(Sample(4, Now.AddMinutes(-1), 0.9)).ToList();
        await store.StoreAsync(day, CancellationToken.None);
        await store.StoreAsync(day.Take(10).ToList(), CancellationToken.None); // written twice, kept once

        var curve = await store.CurveAsync(3, Now.AddDays(-1), Now, CancellationToken.None);

        Assert.That(curve, Has.Count.InRange(400, PostgresNpcSamples.MaxPoints + 1));
        Assert.That(curve.Select(p => p.At), Is.Ordered);
        Assert.That(curve[0].SuccessRate, Is.LessThan(0.01));
        Assert.That(curve[^1].SuccessRate, Is.GreaterThan(0.99));
        Assert.That(curve.Select(p => p.Level).Distinct(), Is.EqualTo(new[] { 2 }));
    }

    [Test]
    public async Task The_pruner_deletes_only_what_is_older_than_the_retention_in_every_table()
    {
        await SchemaMigrations.ApplyAsync(DataSource, CancellationToken.None);
        var store = new PostgresNpcSamples(DataSource);
        // 25 000 old samples, more than two of the pruner's batches, and one recent one.
        await store.StoreAsync([.. Enumerable.Range(0, 25_000).Select(i => Sample(i % 25, Now.AddDays(-40).AddSeconds(i), 0.5)), Sample(1, Now.AddDays(-1), 0.5)], CancellationToken.None);
        await using (var actions = DataSource.CreateCommand("""
            insert into operator_actions (id, action, target, outcome, detail, client, host, occurred_at)
            values (gen_random_uuid(), 'pause', 'npc 1', 'done', '', '127.0.0.1', 'theia', $1), (gen_random_uuid(), 'pause', 'npc 2', 'done', '', '127.0.0.1', 'theia', $2)
            """))
        {
            actions.Parameters.AddWithValue(Now.AddDays(-31));
            actions.Parameters.AddWithValue(Now.AddDays(-29));
            await actions.ExecuteNonQueryAsync();
        }

        var startup = new DatabaseStartup(DataSource, NullLogger<DatabaseStartup>.Instance);
        var pruner = new RetentionPruner(DataSource, new TrailRecorderSettings { Retention = TimeSpan.FromDays(30) }, startup, new FakeTimeProvider(Now), NullLogger<RetentionPruner>.Instance);

        var deleted = await pruner.PruneAsync(CancellationToken.None);

        Assert.That(deleted["npc_samples"], Is.EqualTo(25_000));
        Assert.That(deleted["operator_actions"], Is.EqualTo(1));
        Assert.That(deleted.Keys, Is.EquivalentTo(RetentionPruner.Tables.Select(t => t.Table)), "every table is visited (the others were empty)");
        await using var left = DataSource.CreateCommand("select (select count(*) from npc_samples), (select count(*) from operator_actions)");
        await using var reader = await left.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.That((reader.GetInt64(0), reader.GetInt64(1)), Is.EqualTo((1L, 1L)), "what is younger than 30 days stays");
    }
}
