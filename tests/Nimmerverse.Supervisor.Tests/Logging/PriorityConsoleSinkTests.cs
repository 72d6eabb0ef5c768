using Nimmerverse.Supervisor.Logging;
using Serilog.Events;
using Serilog.Parsing;
using Nimmerverse.Testing;

namespace Nimmerverse.Supervisor.Tests.Logging;

[Category(TestTier.Unit)]
public sealed class PriorityConsoleSinkTests
{
    [Test]
    public void Every_line_carries_the_syslog_priority_prefix_and_extra_properties_follow()
    {
        using var output = new StringWriter();
        var sink = new PriorityConsoleSink(output);
        var logEvent = new LogEvent(DateTimeOffset.UtcNow, LogEventLevel.Error, new InvalidOperationException("boom"),
            new MessageTemplateParser().Parse("NPC {NpcId} crashed\nsee below"),
            [new LogEventProperty("NpcId", new ScalarValue(7)), new LogEventProperty("Unit", new ScalarValue("nimmerverse-npc-7.scope")), new LogEventProperty("SourceContext", new ScalarValue("X"))]);

        sink.Emit(logEvent);

        var lines = output.ToString().TrimEnd('\n').Split('\n');
        Assert.That(lines, Has.All.StartWith("<3>"));
        Assert.That(lines[0], Does.Contain("ERR NPC 7 crashed"));
        Assert.That(output.ToString(), Does.Contain("UNIT=nimmerverse-npc-7.scope"));
        Assert.That(output.ToString(), Does.Not.Contain("SOURCE_CONTEXT"), "noise stays in the journal, off the terminal");
        Assert.That(output.ToString(), Does.Contain("System.InvalidOperationException: boom"));
    }
}
