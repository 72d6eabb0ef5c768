using Nimmerverse.Supervisor.Configuration;
using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace Nimmerverse.Supervisor.Logging;

/// <summary>Builds the process's Serilog logger from <see cref="LoggingOptions"/>.</summary>
public static class SupervisorLogging
{
    public const string SyslogIdentifier = "nimmerverse";

    /// <summary>
    /// The logger for a validated configuration. <paramref name="environment"/> and
    /// <paramref name="hostName"/> go into every journal entry as <c>NIMMERVERSE_ENV</c> and
    /// <c>NIMMERVERSE_HOST</c>.
    /// </summary>
    public static Logger Create(LoggingOptions options, string environment, string hostName)
    {
        var minimum = Enum.Parse<LogEventLevel>(options.MinimumLevel, ignoreCase: true);
        return new LoggerConfiguration()
            .MinimumLevel.Is(minimum)
            // Akka's remoting and the host are chatty at Information about things a user never acts on.
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            // Npgsql logs every command at Information; its warnings and errors are what an operator needs.
            .MinimumLevel.Override("Npgsql", LogEventLevel.Warning)
            .Enrich.With<NpcUnitEnricher>()
            .WriteTo.Sink(CreateSink(options.Target, options.JournalSocket, environment, hostName))
            .CreateLogger();
    }

    /// <summary>
    /// For reporting why the configuration is unusable, just before exiting 78: always stdout
    /// with <c>&lt;N&gt;</c> priorities. Under systemd that stream is tied to the unit when it
    /// connects, whereas a native datagram from a process that exits milliseconds later often
    /// reaches journald after the process is gone, loses its unit fields and disappears from
    /// <c>journalctl -u nimmerverse</c>, exactly where a user looks for the bad key.
    /// </summary>
    public static Logger CreateBootstrap() => new LoggerConfiguration()
        .WriteTo.Sink(new PriorityConsoleSink(Console.Out))
        .CreateLogger();

    private static ILogEventSink CreateSink(string target, string journalSocket, string environment, string hostName)
    {
        var console = new PriorityConsoleSink(Console.Out);
        // auto: journald when systemd already connected our output to the journal
        // ($JOURNAL_STREAM), so a user running the daemon in a terminal sees its logs there.
        var underJournal = Environment.GetEnvironmentVariable("JOURNAL_STREAM") is { Length: > 0 } && File.Exists(journalSocket);
        if (target == "console" || (target == "auto" && !underJournal))
        {
            return console;
        }

        KeyValuePair<string, string>[] fields =
            [new("SYSLOG_IDENTIFIER", SyslogIdentifier), new("NIMMERVERSE_ENV", environment), new("NIMMERVERSE_HOST", hostName)];

        try
        {
            return new JournaldSink(journalSocket, fields, console);
        }
        catch (System.Net.Sockets.SocketException) when (target == "auto")
        {
            return console;
        }
    }
}
