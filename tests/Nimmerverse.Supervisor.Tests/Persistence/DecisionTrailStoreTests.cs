using Nimmerverse.Actors.Governor;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Persistence;
using Nimmerverse.Testing;

namespace Nimmerverse.Supervisor.Tests.Persistence;

/// <summary>The trails schema and the COPY writer against a real PostgreSQL, each test on a fresh database.</summary>
[Category(TestTier.Integration)]
public sealed class DecisionTrailStoreTests : FreshDatabaseTest
{
    private async Task<long> CountAsync(string sql = "select count(*) from decision_trails")
    {
        await using var command = DataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Test]
    public async Task A_database_at_the_previous_version_is_migrated_and_keeps_its_checkpoints()
    {
        Assert.That(await SchemaMigrations.ApplyAsync(DataSource, default, upTo: 1), Is.EqualTo(new[] { 1 }));
        // A checkpoint as the first version's store wrote it (today's writes columns added since).
        await using (var insert = DataSource.CreateCommand(
            "insert into npc_checkpoints (message_id, npc_id, sequence, role, format, weights, steps, episodes, epsilon) values (gen_random_uuid(), 3, 1, 'medium', 'f', '\\x010203', 10, 1, 0.5)"))
        {
            await insert.ExecuteNonQueryAsync();
        }

        var applied = await SchemaMigrations.ApplyAsync(DataSource, default);

        Assert.That(applied, Is.EqualTo(SchemaMigrations.All.Skip(1).Select(m => m.Version)));
        Assert.That(await SchemaMigrations.CurrentVersionAsync(DataSource, default), Is.EqualTo(SchemaMigrations.LatestVersion));
        Assert.That(await CountAsync("select count(*) from npc_checkpoints"), Is.EqualTo(1));
        var kept = await new PostgresCheckpointStore(DataSource, new PostgresDeadLetters(DataSource)).LatestAsync(3, null, default);
        Assert.That((kept?.Weights, kept?.Steps, kept?.Level, kept?.RecentErrands), Is.EqualTo(((byte[]?)[1, 2, 3], (long?)10, (int?)null, (bool[]?)null)), "it loads, without the success window it never had");
        Assert.That(await CountAsync("select count(*) from information_schema.tables where table_name in ('decision_trails', 'gate_transitions', 'governor_checkpoints')"), Is.EqualTo(3));
    }

    [Test]
    public async Task A_batch_is_copied_with_every_field_intact()
    {
        await SchemaMigrations.ApplyAsync(DataSource, default);
        var store = new PostgresDecisionTrailStore(DataSource, new PostgresDeadLetters(DataSource));
        var batch = Trails.Many(1000);

        Assert.That(await store.WriteAsync(batch, default), Is.EqualTo(1000));

        Assert.That(await CountAsync(), Is.EqualTo(1000));
        var sample = batch[777];
        await using var read = DataSource.CreateCommand(
            "select epoch, npc_id, host, policy, decided_at, inputs, tick_rate_hz, cpu_quota_percent, gate_open, llm_priority, reward, latency_ms, progress, cost, price from decision_trails where message_id = $1");
        read.Parameters.AddWithValue(sample.MessageId);
        await using var row = await read.ExecuteReaderAsync();
        Assert.That(await row.ReadAsync(), Is.True);
        var stored = new DecisionTrail(
            sample.MessageId, row.GetInt64(0), row.GetInt32(1), row.GetString(2), row.GetString(3),
            new DateTimeOffset(row.GetFieldValue<DateTime>(4), TimeSpan.Zero), row.GetFieldValue<float[]>(5),
            new NpcAllocation(row.GetInt32(1), row.GetDouble(6), row.GetDouble(7), row.GetBoolean(8), row.GetInt16(9)),
            row.GetDouble(10), row.GetDouble(11), row.IsDBNull(12) ? null : new NpcYield(row.GetDouble(12), row.GetDouble(13)), row.IsDBNull(14) ? null : row.GetDouble(14));
        Assert.That(sample.Outcome, Is.Not.Null, "a sample with an outcome");
        Assert.That(sample.Price, Is.Not.Null, "and a price");
        Assert.That(stored.SameAs(sample), Is.True, $"{stored}\n{sample}");
    }

    [Test]
    public async Task Records_written_again_are_stored_once_and_only_the_new_ones_count()
    {
        await SchemaMigrations.ApplyAsync(DataSource, default);
        var store = new PostgresDecisionTrailStore(DataSource, new PostgresDeadLetters(DataSource));
        var first = Trails.Many(500);
        await store.WriteAsync(first, default);
        var fresh = Trails.Many(200, firstEpoch: 100);

        var again = await store.WriteAsync(first, default);
        var mixed = await store.WriteAsync([.. first.Take(100), .. fresh, .. fresh.Take(10)], default);

        Assert.That((again, mixed), Is.EqualTo((0, 200)));
        Assert.That(await CountAsync(), Is.EqualTo(700));
        Assert.That(await CountAsync("select count(distinct message_id) from decision_trails"), Is.EqualTo(700));
    }

    [Test]
    public async Task Governor_weights_are_kept_once_per_message_id_and_the_newest_comes_back()
    {
        await SchemaMigrations.ApplyAsync(DataSource, default);
        var checkpoints = new PostgresGovernorCheckpoints(DataSource);
        var first = Guid.NewGuid();

        await checkpoints.SaveAsync(first, 60, "learned", [1, 2, 3], default);
        await checkpoints.SaveAsync(first, 60, "learned", [1, 2, 3], default);
        for (var epoch = 120; epoch <= 480; epoch += 60)
        {
            await checkpoints.SaveAsync(Guid.NewGuid(), epoch, "learned", [(byte)(epoch / 60)], default);
        }

        var latest = await checkpoints.LatestAsync("learned", default);
        Assert.That(latest?.Epoch, Is.EqualTo(480));
        Assert.That(latest?.Weights, Is.EqualTo(new byte[] { 8 }));
        Assert.That(await checkpoints.LatestAsync("equal-share", default), Is.Null);
        Assert.That(await CountAsync("select count(*) from governor_checkpoints"), Is.EqualTo(PostgresGovernorCheckpoints.Keep));
    }

    [Test]
    public async Task Each_policy_s_weights_are_stored_in_its_own_format_and_another_format_is_left_alone()
    {
        await SchemaMigrations.ApplyAsync(DataSource, default);
        var checkpoints = new PostgresGovernorCheckpoints(DataSource);
        await checkpoints.SaveAsync(Guid.NewGuid(), 60, GovernorSettings.ClassBandit, [4, 5], default);
        await using (var stale = DataSource.CreateCommand("insert into governor_checkpoints (message_id, epoch, policy, format, weights) values (gen_random_uuid(), 120, $1, 'class-bandit/an-older-shape', '\\x09')"))
        {
            stale.Parameters.AddWithValue(GovernorSettings.ClassBandit);
            await stale.ExecuteNonQueryAsync();
        }

        await using var format = DataSource.CreateCommand("select format from governor_checkpoints where epoch = 60");
        Assert.That(await format.ExecuteScalarAsync(), Is.EqualTo(ClassBanditPolicy.WeightsFormat));
        Assert.That((await checkpoints.LatestAsync(GovernorSettings.ClassBandit, default))?.Weights, Is.EqualTo(new byte[] { 4, 5 }), "the newer row is of a shape this bandit cannot read");
        Assert.That(await checkpoints.LatestAsync(GovernorSettings.Learned, default), Is.Null, "another policy's weights are not the learned governor's");
    }
}
