using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.ObjectStore;
using NATS.Client.ObjectStore.Models;
using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Organs;

/// <summary>Media too large for a message, in the JetStream object store (<see cref="OrganMedia.Bucket"/>).</summary>
public interface IOrganMediaStore
{
    /// <summary>The object's bytes.</summary>
    /// <exception cref="OrganMediaException">There is no such object, or it is larger than <paramref name="maxBytes"/>.</exception>
    Task<byte[]> GetAsync(string name, long maxBytes, CancellationToken cancellation);

    Task PutAsync(string name, byte[] data, CancellationToken cancellation);
}

/// <summary>An object that cannot be used: missing, too large.</summary>
public sealed class OrganMediaException(string message) : Exception(message);

/// <summary>
/// <see cref="IOrganMediaStore"/> on the bus's JetStream: the bucket is made when first needed (file
/// storage, objects kept <see cref="OrganMedia.KeptFor"/>; creating it again is harmless).
/// </summary>
public sealed class JetStreamOrganMediaStore(INatsConnection connection, string environment) : IOrganMediaStore
{
    private readonly SemaphoreSlim _opening = new(1, 1);
    private INatsObjStore? _store;

    /// <summary>The environment's bucket, made if it is not there yet (by whoever comes first: the organs or a client).</summary>
    public static async Task<INatsObjStore> OpenAsync(INatsConnection connection, string environment, CancellationToken cancellation) =>
        await new NatsObjContext(new NatsJSContext(connection)).CreateObjectStoreAsync(
            new NatsObjConfig(OrganMedia.Bucket(environment)) { MaxAge = OrganMedia.KeptFor, Storage = NatsObjStorageType.File }, cancellation).ConfigureAwait(false);

    public async Task<byte[]> GetAsync(string name, long maxBytes, CancellationToken cancellation)
    {
        var store = await StoreAsync(cancellation).ConfigureAwait(false);
        ObjectMetadata info;
        try
        {
            info = await store.GetInfoAsync(name, cancellationToken: cancellation).ConfigureAwait(false);
        }
        catch (NatsObjNotFoundException)
        {
            throw new OrganMediaException($"there is no object '{name}' in {OrganMedia.Bucket(environment)} (objects are kept {OrganMedia.KeptFor.TotalMinutes:F0} minutes)");
        }

        if ((long)info.Size > maxBytes)
        {
            throw new OrganMediaException($"the object '{name}' has {info.Size} bytes, more than the {maxBytes} an organ takes");
        }

        return await store.GetBytesAsync(name, cancellation).ConfigureAwait(false);
    }

    public async Task PutAsync(string name, byte[] data, CancellationToken cancellation)
    {
        var store = await StoreAsync(cancellation).ConfigureAwait(false);
        await store.PutAsync(name, data, cancellation).ConfigureAwait(false);
    }

    private async Task<INatsObjStore> StoreAsync(CancellationToken cancellation)
    {
        if (_store is { } open)
        {
            return open;
        }

        await _opening.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            return _store ??= await OpenAsync(connection, environment, cancellation).ConfigureAwait(false);
        }
        finally
        {
            _opening.Release();
        }
    }
}
