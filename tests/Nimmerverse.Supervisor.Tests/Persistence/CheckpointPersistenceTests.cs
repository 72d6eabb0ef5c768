using Nimmerverse.Protocol;
using Npgsql;
using Nimmerverse.Supervisor.Persistence;
using Nimmerverse.Testing;

namespace Nimmerverse.Supervisor.Tests.Persistence;

/// <summary>Schema migrations and the checkpoint store against a real PostgreSQL, each test on a fresh database.</summary>
[Category(TestTier.Integration)]
public sealed class CheckpointPersistenceTests : FreshDatabaseTest
{
    private static NpcCheckpointBody Checkpoint(int npcId, long sequence) =>
        new(npcId, sequence, "medium", "torchsharp-dqn/test", [(byte)sequence, 1, 2], sequence * 100, sequence * 10, 0.5);

    [Test]
    public async Task Migrations_bring_an_empty_database_to_the_latest_version_once()
    {
        Assert.That(await SchemaMigrations.CurrentVersionAsync(DataSource, default), Is.Zero);

        var first = await SchemaMigrations.ApplyAsync(DataSource, default);
        var second = await SchemaMigrations.ApplyAsync(DataSource, default);

        Assert.That(first, Is.EqualTo(SchemaMigrations.All.Select(m => m.Version)));
        Assert.That(second, Is.Empty);
        Assert.That(await SchemaMigrations.CurrentVersionAsync(DataSource, default), Is.EqualTo(SchemaMigrations.LatestVersion));
    }

    [Test]
    public async Task Two_supervisors_migrating_at_once_apply_each_migration_exactly_once()
    {
        await using var other = Database.DataSource();
        // Hold the migrations' lock so that both runs are surely under way at once, each waiting for it.
        await using var holder = await DataSource.OpenConnectionAsync();
        await using (var take = new NpgsqlCommand($"select pg_advisory_lock({SchemaMigrations.LockKey})", holder))
        {
            await take.ExecuteNonQueryAsync();
        }

        var first = SchemaMigrations.ApplyAsync(DataSource, default);
        var second = SchemaMigrations.ApplyAsync(other, default);
        async Task<long> WaitingAsync()
        {
            await using var waiting = DataSource.CreateCommand("select count(*) from pg_locks where locktype = 'advisory' and not granted and database = (select oid from pg_database where datname = current_database())");
            return (long)(await waiting.ExecuteScalarAsync())!;
        }

        Assert.That(await Eventually.TrueAsync(async () => await WaitingAsync() == 2, TimeSpan.FromSeconds(10)), Is.True, "both migration runs wait for the lock");
        await using (var release = new NpgsqlCommand($"select pg_advisory_unlock({SchemaMigrations.LockKey})", holder))
        {
            await release.ExecuteNonQueryAsync();
        }

        var results = await Task.WhenAll(first, second);

        Assert.That(results.SelectMany(r => r), Is.EquivalentTo(SchemaMigrations.All.Select(m => m.Version)));
        await using var count = DataSource.CreateCommand("select count(*) from schema_version");
        Assert.That(await count.ExecuteScalarAsync(), Is.EqualTo((long)SchemaMigrations.All.Count));
    }

    [Test]
    public async Task A_checkpoint_saved_twice_under_one_message_id_is_stored_once_and_the_latest_is_returned()
    {
        await SchemaMigrations.ApplyAsync(DataSource, default);
        var store = new PostgresCheckpointStore(DataSource, new PostgresDeadLetters(DataSource));
        var retried = Guid.NewGuid();

        await store.SaveAsync(Checkpoint(3, 1), Guid.NewGuid(), default);
        await store.SaveAsync(Checkpoint(3, 2), retried, default);
        await store.SaveAsync(Checkpoint(3, 2), retried, default);

        await using var count = DataSource.CreateCommand("select count(*) from npc_checkpoints where npc_id = 3");
        Assert.That(await count.ExecuteScalarAsync(), Is.EqualTo(2L));
        Assert.That(await store.LatestAsync(3, null, default), Is.EqualTo(Checkpoint(3, 2)).Using<NpcCheckpointBody>((a, b) => a.Sequence == b.Sequence && a.Weights.SequenceEqual(b.Weights) && a.Steps == b.Steps));
        Assert.That(await store.LatestAsync(4, null, default), Is.Null);
    }

    [Test]
    public async Task A_checkpoint_comes_back_with_its_success_window_or_without_one_as_it_was_saved()
    {
        await SchemaMigrations.ApplyAsync(DataSource, default);
        var store = new PostgresCheckpointStore(DataSource, new PostgresDeadLetters(DataSource));
        bool[] recent = [.. Enumerable.Range(0, NpcStateBody.SuccessWindow).Select(i => i % 3 != 0)];

        await store.SaveAsync(Checkpoint(8, 1) with { Level = 2, RecentErrands = recent, QuizPassed = true }, Guid.NewGuid(), default);
        await store.SaveAsync(Checkpoint(9, 1), Guid.NewGuid(), default);

        var kept = await store.LatestAsync(8, null, default);
        Assert.That((kept?.Level, kept?.RecentErrands, kept?.QuizPassed), Is.EqualTo(((int?)2, recent, (bool?)true)));
        var without = await store.LatestAsync(9, null, default);
        Assert.That((without?.Level, without?.RecentErrands, without?.QuizPassed), Is.EqualTo(((int?)null, (bool[]?)null, (bool?)null)));
    }

    [Test]
    public async Task A_checkpoint_PostgreSQL_refuses_is_set_aside_and_the_save_fails_with_the_reason()
    {
        await SchemaMigrations.ApplyAsync(DataSource, default);
        await using (var rule = DataSource.CreateCommand("alter table npc_checkpoints add constraint known_roles check (role in ('small', 'medium', 'large'))"))
        {
            await rule.ExecuteNonQueryAsync();
        }

        var deadLetters = new PostgresDeadLetters(DataSource);
        var store = new PostgresCheckpointStore(DataSource, deadLetters);
        var refused = Checkpoint(6, 1) with { Role = "gigantic" };
        var id = Guid.NewGuid();

        var error = Assert.ThrowsAsync<PostgresException>(() => store.SaveAsync(refused, id, default));

        Assert.That(error!.SqlState, Is.EqualTo("23514"));
        Assert.That(deadLetters.SetAside, Is.EqualTo(new Dictionary<string, long> { ["npc_checkpoints"] = 1 }));
        await using var letter = DataSource.CreateCommand("select message_id, convert_from(payload, 'UTF8')::jsonb ->> 'role' from dead_letters where path = 'npc_checkpoints'");
        await using var row = await letter.ExecuteReaderAsync();
        Assert.That(await row.ReadAsync(), Is.True);
        Assert.That((row.GetGuid(0), row.GetString(1)), Is.EqualTo((id, "gigantic")));
        await row.DisposeAsync();
        await store.SaveAsync(Checkpoint(6, 2), Guid.NewGuid(), default);
        Assert.That((await store.LatestAsync(6, null, default))?.Sequence, Is.EqualTo(2), "the next save is stored");
    }

    [Test]
    public async Task The_checkpoint_stored_before_another_is_found_by_that_ones_sequence()
    {
        await SchemaMigrations.ApplyAsync(DataSource, default);
        var store = new PostgresCheckpointStore(DataSource, new PostgresDeadLetters(DataSource));
        foreach (var sequence in new long[] { 7, 8, 9, 1 }) // a brain that had to start afresh counts from 1 again
        {
            await store.SaveAsync(Checkpoint(5, sequence), Guid.NewGuid(), default);
        }

        Assert.That((await store.LatestAsync(5, null, default))?.Sequence, Is.EqualTo(1), "the newest is the last stored");
        Assert.That((await store.LatestAsync(5, 1, default))?.Sequence, Is.EqualTo(9), "stored before sequence 1");
        Assert.That((await store.LatestAsync(5, 8, default))?.Sequence, Is.EqualTo(7));
        Assert.That(await store.LatestAsync(5, 7, default), Is.Null, "nothing before the oldest");
        Assert.That(await store.LatestAsync(5, 42, default), Is.Null, "no checkpoint of that sequence");
    }

    [Test]
    public async Task Only_the_latest_checkpoints_of_each_npc_are_kept()
    {
        await SchemaMigrations.ApplyAsync(DataSource, default);
        var store = new PostgresCheckpointStore(DataSource, new PostgresDeadLetters(DataSource));

        for (var sequence = 1; sequence <= 8; sequence++)
        {
            await store.SaveAsync(Checkpoint(1, sequence), Guid.NewGuid(), default);
        }

        await store.SaveAsync(Checkpoint(2, 1), Guid.NewGuid(), default);

        await using var kept = DataSource.CreateCommand("select npc_id, array_agg(sequence order by sequence) from npc_checkpoints group by npc_id order by npc_id");
        await using var reader = await kept.ExecuteReaderAsync();
        var rows = new List<(int, long[])>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetInt32(0), reader.GetFieldValue<long[]>(1)));
        }

        Assert.That(rows[0].Item2, Is.EqualTo(new long[] { 4, 5, 6, 7, 8 }));
        Assert.That(rows[1].Item2, Is.EqualTo(new long[] { 1 }), "another NPC's checkpoints are not pruned");
    }
}
