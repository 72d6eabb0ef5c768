using System.Text.Json;
using System.Text.Unicode;
using System.Text.Json.Serialization.Metadata;

namespace Nimmerverse.Protocol;

/// <summary>Why an incoming message was refused. Each is counted separately.</summary>
public enum RejectionReason
{
    /// <summary>Larger than the configured maximum payload.</summary>
    Oversized,

    /// <summary>Not UTF-8 JSON, or not an object with a header and a body.</summary>
    MalformedJson,

    /// <summary>A <c>message_type</c> this version does not know.</summary>
    UnknownMessageType,

    /// <summary>A known type, but not the one this subject carries.</summary>
    WrongMessageType,

    /// <summary>A wire version other than <see cref="MessageHeader.CurrentVersion"/>.</summary>
    UnsupportedVersion,

    /// <summary>A header field missing, of the wrong type, or out of range.</summary>
    InvalidHeader,

    /// <summary>A body field missing, of the wrong type, not finite, or out of range.</summary>
    InvalidBody,

    /// <summary>A subject that is not <c>{env}.{domain}.{service}.{detail}</c>, or of another environment.</summary>
    BadSubject,

    /// <summary>A body about another NPC than the one its subject names.</summary>
    SubjectMismatch,
}

/// <summary>A refused message: the reason (counted) and a bounded, printable detail (logged).</summary>
public sealed record Rejection(RejectionReason Reason, string Detail)
{
    public const int MaxDetailLength = 200;

    public static Rejection Of(RejectionReason reason, string detail) =>
        new(reason, detail.Length > MaxDetailLength ? detail[..MaxDetailLength] + "..." : detail);
}

/// <summary>Either a decoded envelope or the rejection that explains why there is none.</summary>
public readonly record struct Decoded<TBody>(Envelope<TBody>? Envelope, Rejection? Rejection)
    where TBody : IMessageBody
{
    public bool IsValid => Envelope is not null;
}

/// <summary>
/// Encodes and decodes envelopes. Decoding never throws for bad input: whatever arrives from
/// the network is either a valid envelope of the expected type or a <see cref="Rejection"/>.
/// </summary>
public sealed class WireCodec(int maxPayloadBytes = WireCodec.DefaultMaxPayloadBytes)
{
    /// <summary>Default largest accepted payload: 64 KiB (NATS's own default maximum is 1 MiB).</summary>
    public const int DefaultMaxPayloadBytes = 64 * 1024;

    /// <summary>JSON nesting deeper than this is refused (a deep payload is an attack, not a wave).</summary>
    public const int MaxDepth = 32;

    public int MaxPayloadBytes { get; } = maxPayloadBytes > 0 ? maxPayloadBytes : throw new ArgumentOutOfRangeException(nameof(maxPayloadBytes));

    public static readonly WireCodec Default = new();

    public byte[] Encode<TBody>(Envelope<TBody> envelope)
        where TBody : IMessageBody =>
        JsonSerializer.SerializeToUtf8Bytes(envelope, TypeInfo<TBody>());

    /// <summary>
    /// Decodes a message that arrived on <paramref name="subject"/>: besides everything <see cref="Decode{TBody}(ReadOnlySpan{byte})"/>
    /// checks, a body about one NPC must be about the NPC its subject names.
    /// </summary>
    public Decoded<TBody> Decode<TBody>(ReadOnlySpan<byte> payload, string subject)
        where TBody : IMessageBody
    {
        var decoded = Decode<TBody>(payload);
        return decoded.Envelope is { Body: INpcMessage about } && Subjects.NpcIdOf(subject) is { } named && named != about.NpcId
            ? Reject<TBody>(RejectionReason.SubjectMismatch, $"the body is about NPC {about.NpcId}, the subject {subject} about NPC {named}")
            : decoded;
    }

    /// <summary>The header's message id of a payload, if it can be read at all (for the correlation id of a refusal).</summary>
    public static Guid? MessageIdOf(ReadOnlySpan<byte> payload)
    {
        try
        {
            var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = MaxDepth });
            using var document = JsonDocument.ParseValue(ref reader);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("header", out var header) && header.ValueKind == JsonValueKind.Object
                && header.TryGetProperty("message_id", out var id) && id.ValueKind == JsonValueKind.String && id.TryGetGuid(out var guid)
                ? guid
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public Decoded<TBody> Decode<TBody>(ReadOnlySpan<byte> payload)
        where TBody : IMessageBody
    {
        if (payload.Length > MaxPayloadBytes)
        {
            return Reject<TBody>(RejectionReason.Oversized, $"{payload.Length} bytes is more than the {MaxPayloadBytes} allowed");
        }

        Envelope<TBody>? envelope;
        try
        {
            envelope = JsonSerializer.Deserialize(payload, TypeInfo<TBody>());
        }
        catch (JsonException e)
        {
            return Classify<TBody>(payload, e);
        }
        catch (Exception e) when (IsBadText(e))
        {
            return Reject<TBody>(RejectionReason.MalformedJson, e.Message);
        }

        if (envelope?.Header is null || envelope.Body is null)
        {
            return Reject<TBody>(RejectionReason.MalformedJson, "not an object with a header and a body");
        }

        return CheckHeader<TBody>(envelope.Header) ?? CheckBody(envelope);
    }

    private static Decoded<TBody>? CheckHeader<TBody>(MessageHeader header)
        where TBody : IMessageBody
    {
        if (header.MessageType != TBody.MessageType)
        {
            return MessageTypes.All.Contains(header.MessageType)
                ? Reject<TBody>(RejectionReason.WrongMessageType, $"message_type '{header.MessageType}' where '{TBody.MessageType}' is expected")
                : Reject<TBody>(RejectionReason.UnknownMessageType, $"message_type '{header.MessageType}' is unknown");
        }

        if (header.Version != MessageHeader.CurrentVersion)
        {
            return Reject<TBody>(RejectionReason.UnsupportedVersion, $"version {header.Version}; this build speaks {MessageHeader.CurrentVersion}");
        }

        var problem = Checks.First(
            header.MessageId == Guid.Empty ? "message_id is empty" : null,
            Checks.NotEmpty("source.entity_id", header.Source.EntityId),
            Checks.NotEmpty("source.entity_type", header.Source.EntityType),
            !Tiers.IsValid(header.Source.Tier) ? $"source.tier {header.Source.Tier} is outside 0..{Tiers.Max}" : null);
        return problem is null ? null : Reject<TBody>(RejectionReason.InvalidHeader, problem);
    }

    private static Decoded<TBody> CheckBody<TBody>(Envelope<TBody> envelope)
        where TBody : IMessageBody =>
        envelope.Body.Problem() is { } problem
            ? Reject<TBody>(RejectionReason.InvalidBody, problem)
            : new Decoded<TBody>(envelope, null);

    /// <summary>
    /// The typed read failed; a second, untyped look says whether the JSON itself was bad, the
    /// header named another type or version (whose body would not fit), or a field was wrong.
    /// </summary>
    private static Decoded<TBody> Classify<TBody>(ReadOnlySpan<byte> payload, JsonException error)
        where TBody : IMessageBody
    {
        // The reader checks UTF-8 only where it reads a string's value, and reports it as that
        // field's error; bad bytes are bad text wherever they are.
        if (!Utf8.IsValid(payload))
        {
            return Reject<TBody>(RejectionReason.MalformedJson, $"not valid UTF-8 ({error.Path ?? "$"})");
        }

        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(payload, new JsonReaderOptions { MaxDepth = MaxDepth });
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException e)
        {
            return Reject<TBody>(RejectionReason.MalformedJson, e.Message);
        }

        using (document)
        {
            try
            {
                return ClassifyDocument<TBody>(document, error);
            }
            catch (Exception e) when (IsBadText(e))
            {
                return Reject<TBody>(RejectionReason.MalformedJson, e.Message);
            }
        }
    }

    /// <summary>
    /// Besides <see cref="JsonException"/>, System.Text.Json throws these for text it cannot
    /// read (invalid UTF-8 inside a string, a number or date out of range); from the network
    /// they are bad input like any other, not a fault of ours.
    /// </summary>
    private static bool IsBadText(Exception e) =>
        e is InvalidOperationException or ArgumentException or FormatException or OverflowException or System.Text.DecoderFallbackException;

    private static Decoded<TBody> ClassifyDocument<TBody>(JsonDocument document, JsonException error)
        where TBody : IMessageBody
    {
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("header", out var header) || header.ValueKind != JsonValueKind.Object)
            {
                return Reject<TBody>(RejectionReason.MalformedJson, "not an object with a header and a body");
            }

            if (header.TryGetProperty("message_type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() != TBody.MessageType)
            {
                return MessageTypes.All.Contains(type.GetString()!)
                    ? Reject<TBody>(RejectionReason.WrongMessageType, $"message_type '{type.GetString()}' where '{TBody.MessageType}' is expected")
                    : Reject<TBody>(RejectionReason.UnknownMessageType, $"message_type '{type.GetString()}' is unknown");
            }

            if (header.TryGetProperty("version", out var version) && version.ValueKind == JsonValueKind.Number
                && (!version.TryGetInt32(out var v) || v != MessageHeader.CurrentVersion))
            {
                return Reject<TBody>(RejectionReason.UnsupportedVersion, $"version {version.GetRawText()}; this build speaks {MessageHeader.CurrentVersion}");
            }

            var path = error.Path ?? "$";
            return Reject<TBody>(path.StartsWith("$.header", StringComparison.Ordinal) ? RejectionReason.InvalidHeader : RejectionReason.InvalidBody, $"{path}: {error.Message}");
        }
    }

    private static Decoded<TBody> Reject<TBody>(RejectionReason reason, string detail)
        where TBody : IMessageBody => new(null, Rejection.Of(reason, detail));

    private static JsonTypeInfo<Envelope<TBody>> TypeInfo<TBody>()
        where TBody : IMessageBody =>
        (JsonTypeInfo<Envelope<TBody>>)WireJsonContext.Default.GetTypeInfo(typeof(Envelope<TBody>))!;
}
