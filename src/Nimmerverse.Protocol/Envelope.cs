using System.Text.Json;

namespace Nimmerverse.Protocol;

/// <summary>Who sent a message: an entity (cell, nerve, npc, governor...) and the tier it works at.</summary>
/// <remarks><see cref="Tier"/> is one of <see cref="Tiers"/>.</remarks>
public sealed record MessageSource(string EntityId, string EntityType, int Tier);

/// <summary>
/// The header every message carries. <see cref="CorrelationId"/> is set on a message that answers
/// another (a cell response carries its request's <see cref="MessageId"/>).
/// </summary>
public sealed record MessageHeader(
    Guid MessageId,
    string MessageType,
    int Version,
    DateTimeOffset Timestamp,
    MessageSource Source,
    Guid? CorrelationId = null)
{
    /// <summary>The one wire version this build speaks.</summary>
    public const int CurrentVersion = 1;

    /// <summary>A fresh header for a message of <typeparamref name="TBody"/>'s type.</summary>
    public static MessageHeader New<TBody>(MessageSource source, Guid? correlationId = null, TimeProvider? clock = null)
        where TBody : IMessageBody =>
        new(Guid.NewGuid(), TBody.MessageType, CurrentVersion, (clock ?? TimeProvider.System).GetUtcNow(), source, correlationId);
}

/// <summary><c>{"header": {...}, "body": {...}}</c>: what crosses NATS, as UTF-8 JSON in snake_case.</summary>
public sealed record Envelope<TBody>(MessageHeader Header, TBody Body)
    where TBody : IMessageBody;

/// <summary>Envelopes for new messages.</summary>
public static class Envelopes
{
    /// <summary><paramref name="body"/> in a fresh envelope from <paramref name="source"/>, its header's type the body's.</summary>
    public static Envelope<TBody> Of<TBody>(MessageSource source, TBody body, Guid? correlationId = null, TimeProvider? clock = null)
        where TBody : IMessageBody =>
        new(MessageHeader.New<TBody>(source, correlationId, clock), body);
}

/// <summary>A message body: its wire type name and its own semantic checks.</summary>
public interface IMessageBody
{
    /// <summary>The <c>message_type</c> in the header, e.g. <c>wave</c>.</summary>
    static abstract string MessageType { get; }

    /// <summary>What is wrong with the values (a NaN, a confidence above 1...), or null when they are fine.</summary>
    string? Problem();
}

/// <summary>
/// A body about one NPC. On a subject that names an NPC (<c>{env}.npc.{id}.*</c>) the two must agree,
/// or the message is refused (<see cref="RejectionReason.SubjectMismatch"/>).
/// </summary>
public interface INpcMessage
{
    int NpcId { get; }
}

/// <summary>The message types of wire version 1.</summary>
public static class MessageTypes
{
    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        WaveBody.MessageType, GateTransitionBody.MessageType, CellRequestBody.MessageType, CellResponseBody.MessageType,
        NpcStateBody.MessageType, NpcCommandBody.MessageType, AllocationBody.MessageType,
        WorldStepBody.MessageType, WorldStepResultBody.MessageType, QuizQueryBody.MessageType, QuizReportBody.MessageType,
        NpcCheckpointBody.MessageType, CheckpointSavedBody.MessageType, CheckpointQueryBody.MessageType, CheckpointFoundBody.MessageType,
        NpcLifecycleBody.MessageType, RejectedBody.MessageType,
        CortexRequestBody.MessageType, CortexResponseBody.MessageType, CortexTrailBody.MessageType, NerveCommandBody.MessageType,
        OrganRequestBody.MessageType, OrganResponseBody.MessageType, OrganTrailBody.MessageType, OrganStateBody.MessageType,
    };
}

internal static class Checks
{
    public static string? Finite(string field, double value) =>
        double.IsFinite(value) ? null : $"{field} is not a finite number";

    public static string? InRange(string field, double value, double min, double max) =>
        Finite(field, value) ?? (value < min || value > max ? $"{field} {value} is outside {min}..{max}" : null);

    /// <summary>The longest text field a message may carry (a lifecycle's detail is the longest in use).</summary>
    public const int MaxTextLength = 4096;

    /// <summary>Required text: present, and <see cref="Printable"/>.</summary>
    public static string? NotEmpty(string field, string? value) =>
        string.IsNullOrWhiteSpace(value) ? $"{field} is empty" : Printable(field, value);

    /// <summary>
    /// Text that can go to PostgreSQL and into a log line as it is: no control characters (PostgreSQL
    /// refuses NUL outright, and a newline would forge a log line), no lone UTF-16 surrogates (the JSON
    /// escape <c>\ud800</c> is valid JSON but no text), and a bounded length. Null is fine (optional fields).
    /// </summary>
    public static string? Printable(string field, string? value) => Text(field, value, MaxTextLength, lineBreaks: false);

    /// <summary>
    /// Prose for a model (a prompt, an answer): as <see cref="Printable"/>, but line breaks and tabs
    /// are part of it, and it may be up to <paramref name="maxLength"/> characters long.
    /// </summary>
    public static string? Prose(string field, string? value, int maxLength) => Text(field, value, maxLength, lineBreaks: true);

    /// <summary>A value for a message about it: at most 64 characters of it.</summary>
    public static string Shown(string value) => value.Length <= 64 ? value : string.Concat(value.AsSpan(0, 64), "…");

    private static string? Text(string field, string? value, int maxLength, bool lineBreaks)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Length > maxLength)
        {
            return $"{field} is {value.Length} characters long, more than {maxLength}";
        }

        return UnprintableAt(value, lineBreaks) is not { } at ? null
            : char.IsControl(value[at]) ? $"{field} holds the control character U+{(int)value[at]:X4} at {at}"
            : $"{field} holds a lone surrogate at {at}";
    }

    /// <summary>Where the first character that is no printable text is (a control character, a lone surrogate), if any.</summary>
    public static int? UnprintableAt(ReadOnlySpan<char> value, bool lineBreaks)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if ((char.IsControl(c) && !(lineBreaks && c is '\n' or '\r' or '\t'))
                || (char.IsHighSurrogate(c) && (i + 1 == value.Length || !char.IsLowSurrogate(value[i + 1])))
                || (char.IsLowSurrogate(c) && (i == 0 || !char.IsHighSurrogate(value[i - 1]))))
            {
                return i;
            }
        }

        return null;
    }

    public static string? First(params string?[] problems) => problems.FirstOrDefault(p => p is not null);

    /// <summary>The most items a list in a message may hold (a payload's size bounds it too; this says so plainly).</summary>
    public const int MaxItems = 1024;

    public static string? AtMostItems<T>(string field, IReadOnlyCollection<T> items, int max = MaxItems) =>
        items.Count > max ? $"{field} has {items.Count} items; at most {max}" : null;

    /// <summary>
    /// Free-form JSON (a wave's content) as carefully as typed fields: every string and property
    /// name <see cref="Printable"/>, every number finite as a double, every array at most
    /// <see cref="MaxItems"/> long. Depth is already bounded by the reader.
    /// </summary>
    public static string? Json(string field, JsonElement element)
    {
        try
        {
            return JsonElementProblem(field, element);
        }
        catch (InvalidOperationException)
        {
            // The JSON escape of a lone surrogate (\udc00) parses, but is no text to read back.
            return $"{field} holds text that is not valid UTF-16";
        }
    }

    private static string? JsonElementProblem(string field, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return Printable(field, element.GetString());
            case JsonValueKind.Number:
                return element.TryGetDouble(out var number) && double.IsFinite(number) ? null : $"{field} is not a finite number";
            case JsonValueKind.Array:
                var length = element.GetArrayLength();
                if (length > MaxItems)
                {
                    return $"{field} has {length} items; at most {MaxItems}";
                }

                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (JsonElementProblem($"{field}[{index++}]", item) is { } problem)
                    {
                        return problem;
                    }
                }

                return null;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if ((Printable($"a property name in {field}", property.Name) ?? JsonElementProblem($"{field}.{property.Name}", property.Value)) is { } problem)
                    {
                        return problem;
                    }
                }

                return null;
            default:
                return null;
        }
    }
}

/// <summary>Text from elsewhere (an exception's message, a server's answer) made fit for a message's printable field.</summary>
public static class PrintableText
{
    /// <summary>Control characters become spaces, lone surrogates U+FFFD, and it is cut to <paramref name="maxLength"/> characters.</summary>
    public static string Of(string text, int maxLength = Checks.MaxTextLength) => Cleaned(text, maxLength, lineBreaks: false);

    /// <summary>As <see cref="Of"/>, but line breaks and tabs stay: prose for a model's field (a prompt, an answer).</summary>
    public static string Prose(string text, int maxLength) => Cleaned(text, maxLength, lineBreaks: true);

    private static string Cleaned(string text, int maxLength, bool lineBreaks)
    {
        var chars = text.Length <= maxLength ? text.ToCharArray() : text.AsSpan(0, maxLength).ToArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsControl(chars[i]) && !(lineBreaks && chars[i] is '\n' or '\r' or '\t'))
            {
                chars[i] = ' ';
            }
            else if (char.IsHighSurrogate(chars[i]) ? i + 1 == chars.Length || !char.IsLowSurrogate(chars[i + 1]) : char.IsLowSurrogate(chars[i]) && (i == 0 || !char.IsHighSurrogate(chars[i - 1])))
            {
                chars[i] = '\uFFFD';
            }
        }

        return new string(chars);
    }
}
