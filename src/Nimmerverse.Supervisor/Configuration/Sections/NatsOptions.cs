using Nimmerverse.Actors.Nats;
using Nimmerverse.Protocol;

namespace Nimmerverse.Supervisor.Configuration;

/// <summary>Section <c>Nimmerverse:Nats</c>.</summary>
public sealed class NatsOptions : IOptionsSection
{
    /// <summary>Gate transitions wait in the stream while PostgreSQL is away: it must keep them at least this long.</summary>
    public static readonly TimeSpan MinGateStreamMaxAge = TimeSpan.FromHours(1);

    /// <summary>The NATS server. Default <c>nats://127.0.0.1:4222</c>.</summary>
    public string Url { get; init; } = "nats://127.0.0.1:4222";

    /// <summary>Larger incoming messages are rejected and counted. Default 65536 bytes.</summary>
    public int MaxPayloadBytes { get; init; } = WireCodec.DefaultMaxPayloadBytes;

    /// <summary>Messages one subscription may buffer before the newest are dropped (and counted). Default 65536.</summary>
    public int SubscriptionBuffer { get; init; } = NatsBridgeSettings.DefaultSubscriptionBuffer;

    /// <summary>Each rejection reason is logged at most once per interval per subject. Default 10 s.</summary>
    public TimeSpan RejectionLogInterval { get; init; } = NatsBridgeSettings.DefaultRejectionLogInterval;

    /// <summary>How long the JetStream gate stream keeps a transition (the spool on its way to PostgreSQL). Default 7 days.</summary>
    public TimeSpan GateStreamMaxAge { get; init; } = NatsBridgeSettings.DefaultGateStreamMaxAge;

    public NatsBridgeSettings ToSettings(string environment) => new(environment, MaxPayloadBytes, SubscriptionBuffer, RejectionLogInterval, GateStreamMaxAge: GateStreamMaxAge);

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

        if (SubscriptionBuffer is < 16 or > 10_000_000)
        {
            problems.Add("SubscriptionBuffer", $"{SubscriptionBuffer} is outside 16..10000000");
        }

        problems.Positive("RejectionLogInterval", RejectionLogInterval);
        if (GateStreamMaxAge < MinGateStreamMaxAge)
        {
            problems.Add("GateStreamMaxAge", $"{GateStreamMaxAge} is shorter than {MinGateStreamMaxAge}: gate transitions wait in the stream while PostgreSQL is away");
        }
    }
}
