namespace Nimmerverse.Actors.World;

/// <summary>Where the world keeps its <see cref="WorldSnapshot"/>, one per environment (PostgreSQL in the supervisor).</summary>
public interface IWorldStore
{
    /// <summary>The last snapshot saved, or null when the world has never been saved.</summary>
    Task<WorldSnapshot?> LoadAsync(string environment, CancellationToken cancellationToken);

    Task SaveAsync(string environment, WorldSnapshot snapshot, CancellationToken cancellationToken);
}
