using System.Text.Json;
using System.Text.Unicode;

namespace Nimmerverse.Protocol;

/// <summary>What the thalamus takes from a wave: its id (a transition names the waves that caused it), domain, confidence and the tier it came from.</summary>
public readonly record struct WaveDigest(Guid MessageId, string Domain, double Confidence, int SourceTier)
{
    public static WaveDigest Of(Envelope<WaveBody> wave) =>
        new(wave.Header.MessageId, wave.Body.Domain, wave.Body.Confidence, wave.Header.Source.Tier);
}

/// <summary>
/// Reads a wave's digest straight from its UTF-8 JSON, allocating nothing but a domain name it has
/// not seen before. It is strict: it takes only the shape this protocol's encoders write (known
/// fields, each once, no <c>correlation_id</c>, strings of at most <see cref="MaxStringBytes"/>) with every value that
/// <see cref="WireCodec.Decode{TBody}(ReadOnlySpan{byte})"/> would accept, and returns false for
/// anything else. The caller then decodes in full, which accepts the wave or says why not: so this
/// never accepts what the full decoder refuses (<c>WaveReaderTests</c> holds it to that on hostile
/// payloads), and a refusal is counted with the full decoder's reason. Not thread-safe: one per
/// subscription.
/// </summary>
public sealed class WaveReader(int maxPayloadBytes = WireCodec.DefaultMaxPayloadBytes)
{
    /// <summary>Domains kept for reuse; past this many a new domain costs a string per wave (the thalamus has its own bound).</summary>
    public const int MaxInternedDomains = 4096;

    /// <summary>Longer strings are left to the full decoder: this reader checks text on the stack.</summary>
    public const int MaxStringBytes = 512;

    private static readonly JsonReaderOptions Options = new() { MaxDepth = WireCodec.MaxDepth };

    private readonly HashSet<string> _domains = new(StringComparer.Ordinal);

    public bool TryRead(ReadOnlySpan<byte> payload, out WaveDigest digest)
    {
        digest = default;
        if (payload.Length > maxPayloadBytes || !Utf8.IsValid(payload))
        {
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(payload, Options);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            var (header, body) = (default(Header?), default(Body?));
            Span<char> domain = stackalloc char[MaxStringBytes];
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var ok = reader.ValueTextEquals("header"u8) ? header is null && reader.Read() && (header = ReadHeader(ref reader)) is not null
                    : reader.ValueTextEquals("body"u8) && body is null && reader.Read() && (body = ReadBody(ref reader, domain)) is not null;
                if (!ok)
                {
                    return false;
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || header is not { } h || body is not { } b || reader.Read())
            {
                return false;
            }

            // Interned only now: a refused wave's domain must not take a place in the table.
            digest = new WaveDigest(h.MessageId, Intern(domain[..b.DomainLength]), b.Confidence, h.Tier);
            return true;
        }
        catch (JsonException)
        {
            return false; // malformed or too deep: the full decoder says which
        }
    }

    private readonly record struct Header(Guid MessageId, int Tier);

    /// <summary>A body's values; its domain is the first <see cref="DomainLength"/> characters of the buffer it was read into.</summary>
    private readonly record struct Body(int DomainLength, double Confidence);

    private static Header? ReadHeader(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        Guid? id = null;
        int? tier = null;
        var (type, version, timestamp) = (false, false, false);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var ok = reader.ValueTextEquals("message_id"u8) ? id is null && reader.Read() && reader.TokenType == JsonTokenType.String && reader.TryGetGuid(out var guid) && (id = guid) != Guid.Empty
                : reader.ValueTextEquals("message_type"u8) ? !type && reader.Read() && reader.TokenType == JsonTokenType.String && (type = reader.ValueTextEquals(WaveBody.MessageType))
                : reader.ValueTextEquals("version"u8) ? !version && reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var v) && (version = v == MessageHeader.CurrentVersion)
                : reader.ValueTextEquals("timestamp"u8) ? !timestamp && reader.Read() && reader.TokenType == JsonTokenType.String && (timestamp = reader.TryGetDateTimeOffset(out _))
                : reader.ValueTextEquals("source"u8) && tier is null && reader.Read() && (tier = ReadSourceTier(ref reader)) is not null;
            if (!ok)
            {
                return null;
            }
        }

        return reader.TokenType == JsonTokenType.EndObject && id is { } messageId && type && version && timestamp && tier is { } t ? new Header(messageId, t) : null;
    }

    private static int? ReadSourceTier(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        int? tier = null;
        var (entityId, entityType) = (false, false);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var ok = reader.ValueTextEquals("entity_id"u8) ? !entityId && reader.Read() && (entityId = IsPlainText(ref reader, notBlank: true))
                : reader.ValueTextEquals("entity_type"u8) ? !entityType && reader.Read() && (entityType = IsPlainText(ref reader, notBlank: true))
                : reader.ValueTextEquals("tier"u8) && tier is null && reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var t) && Tiers.IsValid((tier = t).Value);
            if (!ok)
            {
                return null;
            }
        }

        return reader.TokenType == JsonTokenType.EndObject && entityId && entityType ? tier : null;
    }

    private static Body? ReadBody(ref Utf8JsonReader reader, scoped Span<char> domainText)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        int? domain = null;
        double? confidence = null;
        var (content, cost) = (false, false);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var ok = reader.ValueTextEquals("domain"u8) ? domain is null && reader.Read() && (domain = PlainText(ref reader, notBlank: true, domainText)) is not null
                : reader.ValueTextEquals("confidence"u8) ? confidence is null && reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var c) && c is >= 0 and <= 1 && (confidence = c) is not null
                : reader.ValueTextEquals("content"u8) ? !content && reader.Read() && reader.TokenType == JsonTokenType.StartObject && (content = IsPlainContent(ref reader))
                : reader.ValueTextEquals("lifeforce_cost"u8) && !cost && reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var l) && (cost = double.IsFinite(l) && l >= 0);
            if (!ok)
            {
                return null;
            }
        }

        return reader.TokenType == JsonTokenType.EndObject && domain is { } length && confidence is { } conf && content && cost ? new Body(length, conf) : null;
    }

    /// <summary>A string (or property name) that <c>Checks.Printable</c> accepts, and <c>Checks.NotEmpty</c> too when <paramref name="notBlank"/>.</summary>
    private static bool IsPlainText(ref Utf8JsonReader reader, bool notBlank)
    {
        Span<char> text = stackalloc char[MaxStringBytes];
        return PlainText(ref reader, notBlank, text) is not null;
    }

    /// <summary>As <see cref="IsPlainText"/>, the text unescaped into <paramref name="text"/>; its length, or null.</summary>
    private static int? PlainText(ref Utf8JsonReader reader, bool notBlank, scoped Span<char> text)
    {
        if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || reader.ValueSpan.Length > Math.Min(MaxStringBytes, text.Length))
        {
            return null;
        }

        try
        {
            text = text[..reader.CopyString(text)];
        }
        catch (InvalidOperationException)
        {
            return null; // an escaped lone surrogate: no text to read back
        }

        return text.Length > Checks.MaxTextLength || Checks.UnprintableAt(text, lineBreaks: false) is not null || (notBlank && text.IsWhiteSpace())
            ? null
            : text.Length;
    }

    /// <summary>
    /// Walks a wave's content object (the reader on its start) to its end, as <c>Checks.Json</c> would judge
    /// it: names and strings printable, numbers finite, arrays at most <see cref="Checks.MaxItems"/> long.
    /// </summary>
    private static bool IsPlainContent(ref Utf8JsonReader reader)
    {
        var depth = reader.CurrentDepth;
        // Per nesting level: the items seen so far, or -1 for an object.
        Span<int> items = stackalloc int[WireCodec.MaxDepth + 2];
        items[0] = -1;
        while (reader.Read())
        {
            var level = reader.CurrentDepth - depth;
            if (reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray)
            {
                if (level == 0)
                {
                    return true;
                }

                continue;
            }

            if (reader.TokenType != JsonTokenType.PropertyName && items[level - 1] >= 0 && ++items[level - 1] > Checks.MaxItems)
            {
                return false;
            }

            var ok = reader.TokenType switch
            {
                JsonTokenType.PropertyName or JsonTokenType.String => IsPlainText(ref reader, notBlank: false),
                JsonTokenType.Number => reader.TryGetDouble(out var number) && double.IsFinite(number),
                JsonTokenType.StartArray => (items[level] = 0) == 0,
                JsonTokenType.StartObject => (items[level] = -1) == -1,
                _ => reader.TokenType is JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null,
            };
            if (!ok)
            {
                return false;
            }
        }

        return false;
    }

    private string Intern(ReadOnlySpan<char> text)
    {
        if (_domains.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(text, out var known))
        {
            return known;
        }

        var domain = new string(text);
        if (_domains.Count < MaxInternedDomains)
        {
            _domains.Add(domain);
        }

        return domain;
    }
}
