using Nimmerverse.Actors.World;
using Nimmerverse.Supervisor.Persistence;
using Nimmerverse.Testing;

namespace Nimmerverse.Supervisor.Tests.Persistence;

/// <summary>The world's snapshot in PostgreSQL: one row per environment, replaced on save, read back whole.</summary>
[Category(TestTier.Integration)]
public sealed class WorldStateTests : FreshDatabaseTest
{
    private static readonly GridWorldSettings Small = GridWorldSettings.Default with { Citizens = 3, Seed = 3 };

    [Test]
    public async Task A_saved_world_is_loaded_back_per_environment_and_a_later_save_replaces_it()
    {
        await SchemaMigrations.ApplyAsync(DataSource, default);
        var store = new PostgresWorldStore(DataSource);
        var world = new GridWorld(Small);
        world.Step(1, null);
        world.Step(1, 0);

        Assert.That(await store.LoadAsync("dev", default), Is.Null, "nothing saved yet");
        await store.SaveAsync("dev", new GridWorld(Small).Snapshot(), default);
        await store.SaveAsync("dev", world.Snapshot(), default);
        var loaded = await store.LoadAsync("dev", default);

        Assert.That(loaded, Is.Not.Null);
        Assert.That(loaded!.Citizens.Select(c => (c.Id, c.Lifeforce, c.Episode)), Is.EqualTo(world.Snapshot().Citizens.Select(c => (c.Id, c.Lifeforce, c.Episode))));
        Assert.That(loaded.Homes.Select(h => h.Node), Is.EqualTo(world.Snapshot().Homes.Select(h => h.Node)));
        Assert.That(await store.LoadAsync("prod", default), Is.Null, "another environment's world is another row");
        await using var count = DataSource.CreateCommand("select count(*) from world_state");
        Assert.That(await count.ExecuteScalarAsync(), Is.EqualTo(1L));
    }
}
