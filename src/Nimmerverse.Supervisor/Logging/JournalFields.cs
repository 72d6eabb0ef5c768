using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Serilog.Events;
using Serilog.Parsing;
using Serilog.Formatting.Json;

namespace Nimmerverse.Supervisor.Logging;

/// <summary>
/// journald's native entry format and its naming rules: field names are upper-case ASCII
/// letters, digits and '_', at most 64 long, not starting with '_' (those are journald's own
/// trusted fields) or a digit. Serilog's <c>NpcId</c> becomes <c>NPC_ID</c>.
/// </summary>
public static class JournalFields
{
    private const int MaxFieldNameLength = 64;

    /// <summary>Fields the sink itself writes; a property that maps onto one is renamed rather than lost.</summary>
    public static readonly IReadOnlySet<string> Reserved = new HashSet<string>(StringComparer.Ordinal)
    {
        "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "MESSAGE_TEMPLATE", "EXCEPTION", "EXCEPTION_TYPE", "NIMMERVERSE_ENV", "NIMMERVERSE_HOST",
    };

    /// <summary>Converts a Serilog property name to a journald field name.</summary>
    public static string ToFieldName(string propertyName)
    {
        var name = new StringBuilder(propertyName.Length + 8);
        for (var i = 0; i < propertyName.Length; i++)
        {
            var c = propertyName[i];
            if (!char.IsAsciiLetterOrDigit(c))
            {
                AppendUnderscore(name);
                continue;
            }

            if (char.IsAsciiLetterUpper(c) && i > 0)
            {
                var previous = propertyName[i - 1];
                var next = i + 1 < propertyName.Length ? propertyName[i + 1] : '\0';
                // "NpcId" -> NPC_ID, "NPCId" -> NPC_ID, "HTTPServer" -> HTTP_SERVER.
                if (char.IsAsciiLetterLower(previous) || char.IsAsciiDigit(previous) || (char.IsAsciiLetterUpper(previous) && char.IsAsciiLetterLower(next)))
                {
                    AppendUnderscore(name);
                }
            }

            name.Append(char.ToUpperInvariant(c));
        }

        var field = name.ToString().Trim('_');
        if (field.Length == 0 || char.IsAsciiDigit(field[0]))
        {
            field = "P_" + field;
        }

        return field.Length > MaxFieldNameLength ? field[..MaxFieldNameLength] : field;

        static void AppendUnderscore(StringBuilder name)
        {
            if (name.Length > 0 && name[^1] != '_')
            {
                name.Append('_');
            }
        }
    }

    /// <summary>syslog priority for a Serilog level, as journald and the <c>&lt;N&gt;</c> prefix use it.</summary>
    public static int Priority(LogEventLevel level) => level switch
    {
        LogEventLevel.Fatal => 2, // crit
        LogEventLevel.Error => 3, // err
        LogEventLevel.Warning => 4, // warning
        LogEventLevel.Information => 6, // info
        _ => 7, // debug
    };

    /// <summary>A property's value as journald should store it: strings bare, numbers invariant, structures as JSON.</summary>
    public static string Render(LogEventPropertyValue value)
    {
        switch (value)
        {
            case ScalarValue { Value: null }:
                return "";
            case ScalarValue { Value: string s }:
                return s;
            case ScalarValue { Value: IFormattable f }:
                return f.ToString(null, CultureInfo.InvariantCulture);
            case ScalarValue scalar:
                return scalar.Value.ToString() ?? "";
            default:
                using (var writer = new StringWriter(CultureInfo.InvariantCulture))
                {
                    new JsonValueFormatter(typeTagName: null).Format(value, writer);
                    return writer.ToString();
                }
        }
    }

    /// <summary>
    /// The event's message with string properties bare: <c>NPC 7 on theia</c>, not
    /// <c>NPC 7 on "theia"</c> as Serilog's default rendering quotes them.
    /// </summary>
    public static string RenderMessage(LogEvent logEvent)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        foreach (var token in logEvent.MessageTemplate.Tokens)
        {
            if (token is PropertyToken property
                && logEvent.Properties.TryGetValue(property.PropertyName, out var value)
                && value is ScalarValue { Value: string text })
            {
                writer.Write(text);
            }
            else
            {
                token.Render(logEvent.Properties, writer, CultureInfo.InvariantCulture);
            }
        }

        return writer.ToString();
    }

    /// <summary>
    /// Appends one field in the native protocol: <c>NAME=value\n</c>, or, when the value holds a
    /// newline, <c>NAME\n</c> + its length as a little-endian 64-bit integer + the bytes + <c>\n</c>.
    /// The second form is what keeps multi-line messages and stack traces intact.
    /// </summary>
    public static void Append(Stream entry, string name, string value)
    {
        var nameBytes = Encoding.ASCII.GetBytes(name);
        var valueBytes = Encoding.UTF8.GetBytes(value);
        entry.Write(nameBytes);
        if (value.Contains('\n', StringComparison.Ordinal))
        {
            Span<byte> length = stackalloc byte[sizeof(ulong)];
            entry.WriteByte((byte)'\n');
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)valueBytes.Length);
            entry.Write(length);
        }
        else
        {
            entry.WriteByte((byte)'=');
        }

        entry.Write(valueBytes);
        entry.WriteByte((byte)'\n');
    }
}
