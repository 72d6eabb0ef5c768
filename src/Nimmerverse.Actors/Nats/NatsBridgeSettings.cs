using Nimmerverse.Actors.Configuration;
using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Nats;

/// <summary>This process's link to NATS: section <c>Nimmerverse:Nats</c>. The bridge serves the process's own environment only.</summary>
public sealed record NatsBridgeSettings : IOptionsSection
{
    /// <summary>Gate transitions wait in the stream while PostgreSQL is away: it must keep them at least this long.</summary>
    public static readonly TimeSpan MinGateStreamMaxAge = TimeSpan.FromHours(1);

    public static NatsBridgeSettings Default { get; } = new();

    /// <summary>The NATS server (<c>nats</c>, <c>tls</c>, <c>ws</c>, <c>wss</c>); the process's one connection dials it. Default <c>nats://127.0.0.1:4222</c>.</summary>
    public string Url { get; init; } = BrainCommandLine.DefaultNatsUrl;

    /// <summary>
    /// The NATS identities directory (<c>nimmerverse identities init DIR</c>): the supervisor then
    /// connects with its environment's <c>creds/supervisor-ENV.creds</c> and mints each brain's own
    /// credentials with the account's signing key. Default none: a bus without authentication.
    /// </summary>
    public string? Identities { get; init; }

    /// <summary>Larger incoming messages are rejected and counted. Default 65536 bytes.</summary>
    public int MaxPayloadBytes { get; init; } = WireCodec.DefaultMaxPayloadBytes;

    /// <summary>
    /// Messages one subscription may buffer before the newest are dropped (and counted). NATS.Net's default
    /// would drop silently; waiting instead would get the whole connection cut as a slow consumer. Default 65536.
    /// </summary>
    public int SubscriptionBuffer { get; init; } = 65_536;

    /// <summary>Each rejection reason is logged at most once per interval per message type. Default 10 s.</summary>
    public TimeSpan RejectionLogInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the JetStream gate stream keeps a transition (the spool on its way to PostgreSQL). Default 7 days.</summary>
    public TimeSpan GateStreamMaxAge { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Within this window a transition published twice (same message id) is stored once. Default 2 minutes.</summary>
    public TimeSpan GateStreamDuplicateWindow { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Copies of each durable stream (gate transitions, cortex and organ trails) JetStream keeps, on as many servers of
    /// a NATS cluster: 3 survives the loss of one. Default 1 (a single server); at most 5.
    /// </summary>
    public int StreamReplicas { get; init; } = 1;

    /// <summary>The JetStream stream of an environment's gate transitions.</summary>
    public static string GateStreamName(string environment) => $"NIMMERVERSE_{environment.ToUpperInvariant()}_GATES";

    /// <summary>The subjects that stream keeps.</summary>
    public static string GateStreamSubjects(string environment) => $"{environment}.thalamus.gate.>";

    /// <summary>The JetStream stream of the cortex gateway's decision trails.</summary>
    public static string CortexTrailStreamName(string environment) => $"NIMMERVERSE_{environment.ToUpperInvariant()}_CORTEX";

    /// <summary>The subjects of the cortex trail stream.</summary>
    public static string CortexTrailStreamSubjects(string environment) => $"{environment}.cortex.*.trail";

    /// <summary>The JetStream stream of the organs' decision trails.</summary>
    public static string OrganTrailStreamName(string environment) => $"NIMMERVERSE_{environment.ToUpperInvariant()}_ORGANS";

    /// <summary>The subjects of the organ trail stream.</summary>
    public static string OrganTrailStreamSubjects(string environment) => $"{environment}.organs.*.trail";

    /// <summary>Every stream the bridge sets up (both kept for <see cref="GateStreamMaxAge"/>, de-duplicated over <see cref="GateStreamDuplicateWindow"/>).</summary>
    public static IEnumerable<(string Name, string Subjects)> DurableStreams(string environment) =>
        [(GateStreamName(environment), GateStreamSubjects(environment)), (CortexTrailStreamName(environment), CortexTrailStreamSubjects(environment)),
         (OrganTrailStreamName(environment), OrganTrailStreamSubjects(environment))];

    public void Validate(OptionProblems problems)
    {
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var nats) || nats.Scheme is not ("nats" or "tls" or "ws" or "wss") || string.IsNullOrEmpty(nats.Host))
        {
            problems.Add("Url", $"'{Url}' is not a NATS URL such as nats://127.0.0.1:4222");
        }

        if (MaxPayloadBytes is < 256 or > 8 * 1024 * 1024)
        {
            problems.Add("MaxPayloadBytes", $"{MaxPayloadBytes} is outside 256..8388608");
        }

        if (StreamReplicas is < 1 or > 5)
        {
            problems.Add("StreamReplicas", $"{StreamReplicas} is outside 1..5 (JetStream's limit)");
        }

        if (SubscriptionBuffer is < 16 or > 10_000_000)
        {
            problems.Add("SubscriptionBuffer", $"{SubscriptionBuffer} is outside 16..10000000");
        }

        problems.Positive("RejectionLogInterval", RejectionLogInterval);
        if (GateStreamMaxAge < MinGateStreamMaxAge)
        {
            problems.Add("GateStreamMaxAge", $"{GateStreamMaxAge} is shorter than {MinGateStreamMaxAge}: gate transitions wait in the stream while PostgreSQL is away");
        }
        problems.Positive("GateStreamDuplicateWindow", GateStreamDuplicateWindow);
    }
}
