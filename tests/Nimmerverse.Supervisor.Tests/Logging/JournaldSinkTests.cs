using System.Net.Sockets;
using Nimmerverse.Supervisor.Logging;
using Serilog.Core;
using Serilog.Events;
using Serilog.Parsing;
using Nimmerverse.Testing;

namespace Nimmerverse.Supervisor.Tests.Logging;

/// <summary>
/// The sink against a Unix datagram socket bound by the test and decoded as journald does.
/// The end-to-end suite repeats the important cases against the real journald.
/// </summary>
[Category(TestTier.Unit)]
public sealed class JournaldSinkTests
{
    private string _socketPath = null!;
    private Socket _journal = null!;

    private static readonly KeyValuePair<string, string>[] FixedFields =
        [new("SYSLOG_IDENTIFIER", "nimmerverse"), new("NIMMERVERSE_ENV", "dev"), new("NIMMERVERSE_HOST", "theia")];

    [SetUp]
    public void BindSocket()
    {
        _socketPath = Path.Combine(Path.GetTempPath(), $"journal-{Guid.NewGuid():N}.sock");
        _journal = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        _journal.Bind(new UnixDomainSocketEndPoint(_socketPath));
        _journal.ReceiveBufferSize = 8 * 1024 * 1024;
    }

    [TearDown]
    public void CloseSocket()
    {
        _journal.Dispose();
        File.Delete(_socketPath);
    }

    private Dictionary<string, string> Receive()
    {
        var buffer = new byte[1 << 20];
        _journal.ReceiveTimeout = 5000;
        var length = _journal.Receive(buffer);
        return JournalEntryDecoder.Decode(buffer.AsSpan(0, length));
    }

    private static LogEvent Event(LogEventLevel level, string template, Exception? exception = null, params (string Name, object? Value)[] properties) =>
        new(DateTimeOffset.UtcNow, level, exception, new MessageTemplateParser().Parse(template),
            properties.Select(p => new LogEventProperty(p.Name, new ScalarValue(p.Value))));

    [Test]
    public void An_event_arrives_with_message_priority_fixed_fields_and_every_property()
    {
        using var sink = new JournaldSink(_socketPath, FixedFields, new CollectingSink());

        sink.Emit(Event(LogEventLevel.Warning, "NPC {NpcId} missed {MissedTicks} ticks", null, ("NpcId", 7), ("MissedTicks", 3), ("ActorPath", "akka://nimmerverse/user/npc-7")));

        var fields = Receive();
        Assert.That(fields["MESSAGE"], Is.EqualTo("NPC 7 missed 3 ticks"));
        Assert.That(fields["PRIORITY"], Is.EqualTo("4"));
        Assert.That(fields["SYSLOG_IDENTIFIER"], Is.EqualTo("nimmerverse"));
        Assert.That(fields["NIMMERVERSE_ENV"], Is.EqualTo("dev"));
        Assert.That(fields["NIMMERVERSE_HOST"], Is.EqualTo("theia"));
        Assert.That(fields["NPC_ID"], Is.EqualTo("7"));
        Assert.That(fields["MISSED_TICKS"], Is.EqualTo("3"));
        Assert.That(fields["ACTOR_PATH"], Is.EqualTo("akka://nimmerverse/user/npc-7"));
        Assert.That(fields["MESSAGE_TEMPLATE"], Is.EqualTo("NPC {NpcId} missed {MissedTicks} ticks"));
    }

    [Test]
    public void Multi_line_messages_and_exceptions_arrive_intact()
    {
        using var sink = new JournaldSink(_socketPath, FixedFields, new CollectingSink());
        var exception = CaptureException();

        sink.Emit(Event(LogEventLevel.Error, "first line\nsecond line", exception));

        var fields = Receive();
        Assert.That(fields["MESSAGE"], Is.EqualTo("first line\nsecond line\n" + exception));
        Assert.That(fields["EXCEPTION"], Is.EqualTo(exception.ToString()));
        Assert.That(fields["EXCEPTION"], Does.Contain(nameof(CaptureException)), "the stack trace is kept");
        Assert.That(fields["EXCEPTION_TYPE"], Is.EqualTo(typeof(InvalidOperationException).FullName));
    }

    [Test]
    public void A_property_named_like_a_reserved_field_is_renamed_not_lost()
    {
        using var sink = new JournaldSink(_socketPath, FixedFields, new CollectingSink());

        sink.Emit(Event(LogEventLevel.Information, "hello", null, ("Message", "mine"), ("Priority", 9)));

        var fields = Receive();
        Assert.That(fields["MESSAGE"], Is.EqualTo("hello"));
        Assert.That(fields["MESSAGE_PROPERTY"], Is.EqualTo("mine"));
        Assert.That(fields["PRIORITY"], Is.EqualTo("6"));
        Assert.That(fields["PRIORITY_PROPERTY"], Is.EqualTo("9"));
    }

    [Test]
    public void When_journald_is_gone_the_entry_goes_to_the_fallback_and_is_counted()
    {
        var fallback = new CollectingSink();
        using var sink = new JournaldSink(_socketPath, FixedFields, fallback);
        _journal.Dispose();
        File.Delete(_socketPath);

        sink.Emit(Event(LogEventLevel.Error, "nobody listens"));

        Assert.That(sink.FailedSends, Is.EqualTo(1));
        Assert.That(fallback.Events.Single().MessageTemplate.Text, Is.EqualTo("nobody listens"));
    }

    private static InvalidOperationException CaptureException()
    {
        try
        {
            throw new InvalidOperationException("the cell is wedged\nand says so on two lines");
        }
        catch (InvalidOperationException e)
        {
            return e;
        }
    }

    private sealed class CollectingSink : ILogEventSink
    {
        public List<LogEvent> Events { get; } = [];

        public void Emit(LogEvent logEvent) => Events.Add(logEvent);
    }
}
