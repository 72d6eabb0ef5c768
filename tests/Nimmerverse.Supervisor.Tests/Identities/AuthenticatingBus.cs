using Nimmerverse.Supervisor.Identities;
using Nimmerverse.Testing.Nats;

namespace Nimmerverse.Supervisor.Tests.Identities;

/// <summary>Identities made in a temporary directory and a real nats-server in operator mode that trusts them; both gone at the end.</summary>
public sealed class AuthenticatingBus : IAsyncDisposable
{
    private AuthenticatingBus(string directory, NatsIdentities identities, NatsServer nats) => (Directory, Identities, Nats) = (directory, identities, nats);

    public string Directory { get; }

    public NatsIdentities Identities { get; }

    public NatsServer Nats { get; }

    public static async Task<AuthenticatingBus> StartAsync()
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("nv-identities-").FullName;
        var identities = NatsIdentities.Create(directory);
        return new AuthenticatingBus(directory, identities, await NatsServer.StartAsync(config: identities.ServerConfig));
    }

    public async ValueTask DisposeAsync()
    {
        await Nats.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
