using System.Text.Json.Serialization;
using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.World;

/// <summary>
/// What the world keeps across a restart or a failover of its singleton: the level and its villages (every home, in
/// citizen order), and each
/// citizen's lifeforce, episode count and quiz standing. An episode in flight is not kept; each citizen starts a new
/// one at its next step, as after a level-up.
/// </summary>
public sealed record WorldSnapshot(int Level, IReadOnlyList<HomeSnapshot> Homes, IReadOnlyList<CitizenSnapshot> Citizens, long Collisions, int LevelUps);

public sealed record HomeSnapshot(int Citizen, int Node, IReadOnlyList<int> Traits);

public sealed record CitizenSnapshot(int Id, double Lifeforce, long Episode, long TrainingEpisodes, int Rounds, QuizStanding? Latest);

/// <summary>The snapshot's JSON (snake_case, as the wire), source-generated.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(WorldSnapshot))]
public sealed partial class WorldSnapshotJsonContext : JsonSerializerContext;

public sealed partial class GridWorld
{
    public WorldSnapshot Snapshot() => new(
        Level,
        [.. _villages.SelectMany(v => v.Homes).Select(h => new HomeSnapshot(h.Citizen, h.Node, [.. h.Traits]))],
        [.. _citizens.Select(c => new CitizenSnapshot(c.Id, c.Lifeforce, c.Episode, c.TrainingEpisodes, c.Rounds, c.Latest))],
        Collisions,
        LevelUps);

    /// <summary>Continues from <paramref name="snapshot"/>; returns why it cannot (it does not fit this configuration), and then changes nothing.</summary>
    public string? Restore(WorldSnapshot snapshot)
    {
        if (snapshot.Level < 0 || snapshot.Level > _curriculum.MaxLevel)
        {
            return $"level {snapshot.Level} is outside this curriculum's 0..{_curriculum.MaxLevel}";
        }

        var map = _curriculum.MapAt(snapshot.Level);
        if (snapshot.Homes.Count != _citizens.Length || snapshot.Citizens.Count != _citizens.Length)
        {
            return $"it has {snapshot.Homes.Count} homes and {snapshot.Citizens.Count} citizens, this world {_citizens.Length} (World:Citizens changed)";
        }

        if (snapshot.Homes.Any(h => h.Node < 0 || h.Node >= map.NodeCount || h.Traits.Count != _curriculum.TraitKindsAt(snapshot.Level))
            || snapshot.Homes.Select((h, i) => h.Citizen != i).Any(wrong => wrong) || snapshot.Citizens.Select((c, i) => c.Id != i).Any(wrong => wrong))
        {
            return $"its village does not fit level {snapshot.Level} of this curriculum ({map.Rows}x{map.Columns} nodes; the arena changed)";
        }

        var homes = snapshot.Homes.Select(h => new House(h.Citizen, h.Node, [.. h.Traits])).ToArray();
        _villages = [.. homes.Chunk(_settings.VillageSize).Select(village => Village.Restore(_curriculum, snapshot.Level, village))];
        ClearOccupancy();
        (Collisions, LevelUps) = (snapshot.Collisions, snapshot.LevelUps);
        foreach (var kept in snapshot.Citizens)
        {
            var citizen = _citizens[kept.Id];
            (citizen.Lifeforce, citizen.Episode, citizen.TrainingEpisodes, citizen.Rounds, citizen.Latest) = (kept.Lifeforce, kept.Episode, kept.TrainingEpisodes, kept.Rounds, kept.Latest);
            citizen.EpisodeLevel = -1; // a new episode at its next step
        }

        return null;
    }
}
