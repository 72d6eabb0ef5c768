using System.Text.Json;
using Nimmerverse.Supervisor.Logging;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Systemd;
using Serilog.Core;
using Serilog.Events;
using Serilog.Parsing;

namespace Nimmerverse.EndToEnd.Tests.Systemd;

/// <summary>Our journald sink against the real journald of the sandbox, read back with journalctl.</summary>
[Category(TestTier.System)]
public sealed class JournaldSinkAgainstJournaldTests
{
    private static SystemdSandbox Sandbox => SandboxSetUp.Sandbox;

    private sealed class NoFallback : ILogEventSink
    {
        public void Emit(LogEvent logEvent) => Assert.Fail("the entry went to the fallback instead of journald");
    }

    private static async Task<JsonElement> SendAndReadBackAsync(string template, Exception? exception, params (string Name, object Value)[] properties)
    {
        var runId = Guid.NewGuid().ToString("N");
        using (var sink = new JournaldSink(Sandbox.JournalSocket, [new("SYSLOG_IDENTIFIER", "nimmerverse-test")], new NoFallback()))
        {
            sink.Emit(new LogEvent(DateTimeOffset.UtcNow, LogEventLevel.Error, exception, new MessageTemplateParser().Parse(template),
                properties.Append(("TestRun", runId)).Select(p => new LogEventProperty(p.Name, new ScalarValue(p.Value)))));
            Assert.That(sink.FailedSends, Is.Zero);
        }

        JsonElement? entry = null;
        await Eventually.TrueAsync(async () =>
        {
            var lines = (await Sandbox.JournalctlAsync("-o", "json", "--all", $"TEST_RUN={runId}")).StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            entry = lines.Length == 1 ? JsonDocument.Parse(lines[0]).RootElement : null;
            return entry is not null;
        }, TimeSpan.FromSeconds(10));
        Assert.That(entry, Is.Not.Null, "journald stored exactly one entry for the run");
        return entry!.Value;
    }

    [Test]
    public async Task Multi_line_messages_and_exceptions_survive_intact()
    {
        var exception = Capture();

        var entry = await SendAndReadBackAsync("NPC {NpcId} failed:\n  first cause\n  second cause", exception, ("NpcId", 7));

        Assert.That(entry.GetProperty("MESSAGE").GetString(), Is.EqualTo($"NPC 7 failed:\n  first cause\n  second cause\n{exception}"));
        Assert.That(entry.GetProperty("EXCEPTION").GetString(), Is.EqualTo(exception.ToString()));
        Assert.That(entry.GetProperty("NPC_ID").GetString(), Is.EqualTo("7"));
        Assert.That(entry.GetProperty("PRIORITY").GetString(), Is.EqualTo("3"));
    }

    [Test]
    public async Task An_entry_larger_than_a_datagram_arrives_whole_through_a_memfd()
    {
        // Far above what one Unix datagram may carry here (net.core.wmem_max), so the memfd path is taken.
        var big = string.Concat(Enumerable.Range(0, 40_000).Select(i => $"line {i:D6}\n"));

        var entry = await SendAndReadBackAsync("{Dump}", null, ("Dump", big));

        Assert.That(entry.GetProperty("MESSAGE").GetString(), Is.EqualTo(big));
        Assert.That(entry.GetProperty("DUMP").GetString(), Has.Length.EqualTo(big.Length));
    }

    [Test]
    public async Task Journalctl_filters_on_a_property_field()
    {
        var entry = await SendAndReadBackAsync("NPC {NpcId} spawned in {Unit}", null, ("NpcId", 4242), ("Unit", "nimmerverse-npc-4242.scope"));

        var filtered = await Sandbox.JournalctlAsync("NPC_ID=4242", "UNIT=nimmerverse-npc-4242.scope", "-o", "cat");
        Assert.That(filtered.StandardOutput, Does.Contain("NPC 4242 spawned in nimmerverse-npc-4242.scope"));
        Assert.That(entry.GetProperty("SYSLOG_IDENTIFIER").GetString(), Is.EqualTo("nimmerverse-test"));
    }

    private static InvalidOperationException Capture()
    {
        try
        {
            throw new InvalidOperationException("the gate would not open");
        }
        catch (InvalidOperationException e)
        {
            return e;
        }
    }
}
