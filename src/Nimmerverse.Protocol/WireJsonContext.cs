using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Nimmerverse.Protocol;

/// <summary>
/// Source-generated JSON for every wire type: snake_case, UTF-8, required constructor
/// parameters really required and non-nullable members really non-null, so a missing or
/// null field is a rejection rather than a silent default. Optional fields (those with a
/// default) are left out when null rather than written as null.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectRequiredConstructorParameters = true,
    RespectNullableAnnotations = true,
    MaxDepth = WireCodec.MaxDepth,
    Converters = [typeof(UtcTimestampConverter)])]
[JsonSerializable(typeof(Envelope<WaveBody>))]
[JsonSerializable(typeof(Envelope<GateTransitionBody>))]
[JsonSerializable(typeof(Envelope<CellRequestBody>))]
[JsonSerializable(typeof(Envelope<CellResponseBody>))]
[JsonSerializable(typeof(Envelope<NpcStateBody>))]
[JsonSerializable(typeof(Envelope<NpcCommandBody>))]
[JsonSerializable(typeof(Envelope<AllocationBody>))]
[JsonSerializable(typeof(Envelope<WorldStepBody>))]
[JsonSerializable(typeof(Envelope<WorldStepResultBody>))]
[JsonSerializable(typeof(Envelope<QuizQueryBody>))]
[JsonSerializable(typeof(Envelope<QuizReportBody>))]
[JsonSerializable(typeof(Envelope<NpcCheckpointBody>))]
[JsonSerializable(typeof(Envelope<CheckpointSavedBody>))]
[JsonSerializable(typeof(Envelope<CheckpointQueryBody>))]
[JsonSerializable(typeof(Envelope<CheckpointFoundBody>))]
[JsonSerializable(typeof(Envelope<NpcLifecycleBody>))]
[JsonSerializable(typeof(Envelope<RejectedBody>))]
[JsonSerializable(typeof(Envelope<CortexRequestBody>))]
[JsonSerializable(typeof(Envelope<CortexResponseBody>))]
[JsonSerializable(typeof(Envelope<CortexTrailBody>))]
[JsonSerializable(typeof(Envelope<NerveCommandBody>))]
[JsonSerializable(typeof(Envelope<OrganRequestBody>))]
[JsonSerializable(typeof(Envelope<OrganResponseBody>))]
[JsonSerializable(typeof(Envelope<OrganTrailBody>))]
[JsonSerializable(typeof(Envelope<OrganStateBody>))]
[JsonSerializable(typeof(VisionResult))]
[JsonSerializable(typeof(Transcription))]
[JsonSerializable(typeof(MessageHeader))]
public sealed partial class WireJsonContext : JsonSerializerContext;

/// <summary>Timestamps are RFC 3339 in UTC on the wire (<c>2026-11-29T15:30:00.1234567Z</c>); any offset is accepted when read.</summary>
public sealed class UtcTimestampConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException("timestamp is not an RFC 3339 date and time");
        }

        // The reader parses ISO 8601 in place (no string per message, which matters at 10,000 waves/s);
        // the string path stays for the rarer forms it does not take.
        if (reader.TryGetDateTimeOffset(out var parsed))
        {
            return parsed.ToUniversalTime();
        }

        return DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value)
            ? value.ToUniversalTime()
            : throw new JsonException("timestamp is not an RFC 3339 date and time");
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        // "O" of a UTC DateTime is exactly yyyy-MM-ddTHH:mm:ss.fffffffZ, formatted on the stack (every message carries one).
        Span<byte> text = stackalloc byte[28];
        writer.WriteStringValue(value.UtcDateTime.TryFormat(text, out var written, "O", CultureInfo.InvariantCulture)
            ? text[..written]
            : throw new FormatException($"{value} does not format as a 28-character UTC timestamp"));
    }
}
