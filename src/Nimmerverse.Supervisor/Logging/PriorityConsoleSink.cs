using System.Globalization;
using Serilog.Core;
using Serilog.Events;

namespace Nimmerverse.Supervisor.Logging;

/// <summary>
/// One line per event, prefixed <c>&lt;N&gt;</c> with its syslog priority (sd-daemon(3)), so that
/// when stdout is a journal stream the priority survives; properties follow the message as
/// <c>KEY=value</c> so nothing structured is lost on a plain terminal either. Continuation lines
/// of a multi-line message or stack trace carry the same prefix.
/// </summary>
public sealed class PriorityConsoleSink(TextWriter output) : ILogEventSink
{
    /// <summary>Properties that only repeat what the line already says; journald still gets them.</summary>
    private static readonly HashSet<string> Unshown = ["SourceContext", "Thread", "Timestamp", "EventId", "LogSource"];

    private readonly Lock _gate = new();

    public void Emit(LogEvent logEvent)
    {
        var prefix = $"<{JournalFields.Priority(logEvent.Level)}>";
        var text = JournalFields.RenderMessage(logEvent);
        var properties = string.Join(" ", logEvent.Properties
            .Where(p => !Unshown.Contains(p.Key) && !logEvent.MessageTemplate.Text.Contains("{" + p.Key, StringComparison.Ordinal))
            .Select(p => $"{JournalFields.ToFieldName(p.Key)}={JournalFields.Render(p.Value)}"));
        var head = $"{prefix}{logEvent.Timestamp.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ} {Level(logEvent.Level)} {text}";
        if (properties.Length > 0)
        {
            head += "  " + properties;
        }

        if (logEvent.Exception is { } exception)
        {
            head += "\n" + exception;
        }

        var lines = head.Split('\n');
        lock (_gate)
        {
            output.WriteLine(lines[0]);
            for (var i = 1; i < lines.Length; i++)
            {
                output.Write(prefix);
                output.WriteLine(lines[i]);
            }

            output.Flush();
        }
    }

    private static string Level(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose => "VRB",
        LogEventLevel.Debug => "DBG",
        LogEventLevel.Information => "INF",
        LogEventLevel.Warning => "WRN",
        LogEventLevel.Error => "ERR",
        _ => "FTL",
    };
}
