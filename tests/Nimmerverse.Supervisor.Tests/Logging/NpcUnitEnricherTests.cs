using Nimmerverse.Supervisor.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Nimmerverse.Testing;

namespace Nimmerverse.Supervisor.Tests.Logging;

[Category(TestTier.Unit)]
public sealed class NpcUnitEnricherTests
{
    private sealed class Collect : ILogEventSink
    {
        public List<LogEvent> Events { get; } = [];

        public void Emit(LogEvent logEvent) => Events.Add(logEvent);
    }

    private static IReadOnlyDictionary<string, LogEventPropertyValue> Log(string template, params object[] values)
    {
        var sink = new Collect();
        using (var logger = new LoggerConfiguration().Enrich.With<NpcUnitEnricher>().WriteTo.Sink(sink).CreateLogger())
        {
            logger.Information(template, values);
        }

        return sink.Events.Single().Properties;
    }

    [Test]
    public void A_line_about_an_npc_names_its_scope()
    {
        Assert.That(Log("Started the brain of NPC {NpcId}", 7)["Unit"].ToString(), Is.EqualTo("\"nimmerverse-npc-7.scope\""));
    }

    [Test]
    public void A_unit_named_by_the_line_itself_and_lines_without_a_valid_npc_are_left_alone()
    {
        Assert.That(Log("{NpcId} in {Unit}", 7, "other.scope")["Unit"].ToString(), Is.EqualTo("\"other.scope\""));
        Assert.That(Log("NPC {NpcId}", -1).ContainsKey("Unit"), Is.False);
        Assert.That(Log("NPC {NpcId}", "7").ContainsKey("Unit"), Is.False);
        Assert.That(Log("nothing about NPCs").ContainsKey("Unit"), Is.False);
    }
}
