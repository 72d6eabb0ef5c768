using System.Text;
using Nimmerverse.Supervisor.Logging;
using Serilog.Events;
using Serilog.Parsing;
using Nimmerverse.Testing;

namespace Nimmerverse.Supervisor.Tests.Logging;

[Category(TestTier.Unit)]
public sealed class JournalFieldsTests
{
    [TestCase("NpcId", "NPC_ID")]
    [TestCase("npcId", "NPC_ID")]
    [TestCase("NPCId", "NPC_ID")]
    [TestCase("ActorPath", "ACTOR_PATH")]
    [TestCase("SourceContext", "SOURCE_CONTEXT")]
    [TestCase("HTTPServer", "HTTP_SERVER")]
    [TestCase("Subject", "SUBJECT")]
    [TestCase("tick_lag_ms", "TICK_LAG_MS")]
    [TestCase("Cpu2Quota", "CPU2_QUOTA")]
    [TestCase("_Trusted", "TRUSTED")]
    [TestCase("7th", "P_7TH")]
    [TestCase("a.b-c", "A_B_C")]
    public void Property_names_become_journald_field_names(string property, string field)
    {
        Assert.That(JournalFields.ToFieldName(property), Is.EqualTo(field));
    }

    [Test]
    public void Field_names_are_cut_at_journalds_64_character_limit()
    {
        Assert.That(JournalFields.ToFieldName(new string('a', 100)), Has.Length.EqualTo(64));
    }

    [TestCase(LogEventLevel.Fatal, 2)]
    [TestCase(LogEventLevel.Error, 3)]
    [TestCase(LogEventLevel.Warning, 4)]
    [TestCase(LogEventLevel.Information, 6)]
    [TestCase(LogEventLevel.Debug, 7)]
    [TestCase(LogEventLevel.Verbose, 7)]
    public void Levels_map_to_syslog_priorities(LogEventLevel level, int priority)
    {
        Assert.That(JournalFields.Priority(level), Is.EqualTo(priority));
    }

    [Test]
    public void A_single_line_value_is_written_as_name_equals_value()
    {
        using var entry = new MemoryStream();

        JournalFields.Append(entry, "NPC_ID", "7");

        Assert.That(Encoding.UTF8.GetString(entry.ToArray()), Is.EqualTo("NPC_ID=7\n"));
    }

    [Test]
    public void A_multi_line_value_is_written_with_its_binary_length()
    {
        using var entry = new MemoryStream();

        JournalFields.Append(entry, "MESSAGE", "one\ntwo");

        var expected = new byte[] { (byte)'M', (byte)'E', (byte)'S', (byte)'S', (byte)'A', (byte)'G', (byte)'E', (byte)'\n', 7, 0, 0, 0, 0, 0, 0, 0 }
            .Concat("one\ntwo\n"u8.ToArray());
        Assert.That(entry.ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void Values_render_bare_invariant_or_as_json()
    {
        Assert.That(JournalFields.Render(new ScalarValue("theia")), Is.EqualTo("theia"));
        Assert.That(JournalFields.Render(new ScalarValue(0.25)), Is.EqualTo("0.25"));
        Assert.That(JournalFields.Render(new ScalarValue(null)), Is.EqualTo(""));
        Assert.That(JournalFields.Render(new SequenceValue([new ScalarValue(1), new ScalarValue("a")])), Is.EqualTo("[1,\"a\"]"));
    }

    [Test]
    public void Messages_render_string_properties_without_quotes()
    {
        var template = new MessageTemplateParser().Parse("NPC {NpcId} on {Host} at {Rate} Hz");
        var logEvent = new LogEvent(DateTimeOffset.UtcNow, LogEventLevel.Information, null, template,
            [new LogEventProperty("NpcId", new ScalarValue(7)), new LogEventProperty("Host", new ScalarValue("theia")), new LogEventProperty("Rate", new ScalarValue(2.5))]);

        Assert.That(JournalFields.RenderMessage(logEvent), Is.EqualTo("NPC 7 on theia at 2.5 Hz"));
    }
}
