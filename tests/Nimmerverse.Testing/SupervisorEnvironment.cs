using System.Collections;

namespace Nimmerverse.Testing;

/// <summary>
/// The <c>NIMMERVERSE_*</c> variables of a supervisor run inside a test or benchmark process: the
/// given NATS (and PostgreSQL), free ports for Akka and HTTP, and no NPC population unless asked.
/// </summary>
public static class SupervisorEnvironment
{
    public static Hashtable Local(string natsUrl, string? postgresConnectionString = null, params (string Name, string Value)[] settings)
    {
        var environment = new Hashtable
        {
            ["NIMMERVERSE_NATS__URL"] = natsUrl,
            ["NIMMERVERSE_AKKA__PORT"] = "0",
            ["NIMMERVERSE_HTTP__LISTEN"] = $"http://127.0.0.1:{Ports.FreeTcpPort()}",
            ["NIMMERVERSE_NPC__POPULATION"] = "0",
        };
        if (postgresConnectionString is not null)
        {
            environment["NIMMERVERSE_POSTGRES__CONNECTIONSTRING"] = postgresConnectionString;
        }

        foreach (var (name, value) in settings)
        {
            environment[name] = value;
        }

        return environment;
    }
}
