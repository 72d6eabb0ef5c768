using System.Globalization;
using System.Text;
using System.Text.Json;
using NATS.Client.Core;
using Nimmerverse.Protocol;

namespace Nimmerverse.Supervisor.Cli;

/// <summary>
/// <c>nimmerverse nats pub|req|sub|math</c>: a small NATS client for poking cells and watching
/// waves, since Debian packages no NATS CLI. Payloads go as given (so garbage can be sent on
/// purpose), or wrapped in a fresh envelope with <c>--wrap TYPE</c>.
/// </summary>
public sealed partial class NatsCommand(TextWriter output, TextWriter error)
{
    public const string Usage = """
        usage: nimmerverse nats pub SUBJECT PAYLOAD [--wrap TYPE] [--server URL]
               nimmerverse nats req SUBJECT PAYLOAD [--wrap TYPE] [--timeout SECONDS] [--server URL]
               nimmerverse nats sub SUBJECT [--count N] [--server URL]
               nimmerverse nats math OPERATION NUMBER NUMBER... [--env ENV] [--timeout SECONDS] [--server URL]
               nimmerverse nats ask QUESTION... [--schema NAME] [--max-tokens N] [--env ENV] [--timeout SECONDS] [--server URL]
               nimmerverse nats see IMAGE | hear WAV | say WORDS... --out WAV [--env ENV] [--timeout SECONDS] [--server URL]

          PAYLOAD      a whole message as JSON, or with --wrap TYPE only its body (e.g. --wrap cell_request
                       '{"operation": "add", "operands": [2, 3]}'); '-' reads it from standard input
          SUBJECT      e.g. dev.nervous.cells.math.request; sub takes wildcards (dev.nervous.cells.*.wave)
          --server     default: Nimmerverse:Nats:Url from the configuration
          --creds      NATS credentials (a .creds file, e.g. creds/operator-dev.creds of the identities)
          ask          asks the cortex as the operator (a cortex_request); --schema direction or
                       downstream_commands for a JSON answer; --max-tokens default 64
          see, hear    ask the vision organ about a PNG or JPEG, the speech-to-text organ about a WAV, as
                       the operator; prints the organ_response (timeout default 30 s: the first call loads);
                       a file too large for a message goes through the organ media object store
          say          asks the text-to-speech organ to say the words and writes its WAV to --out
        examples:
          nimmerverse nats math add 2 3
          nimmerverse nats ask 'Lily went to the park.' --max-tokens 32
          nimmerverse nats sub 'dev.nervous.cells.>' --count 10
          nimmerverse nats say 'turn left' --out left.wav && nimmerverse nats hear left.wav
          nimmerverse nats sub 'dev.organs.*.state'
        """;

    /// <summary>sysexits(3): the server or a responder is not there.</summary>
    public const int ExitUnavailable = 69;

    /// <summary>sysexits(3): the server refused the credentials (or their absence).</summary>
    public const int ExitNoPermission = 77;

    /// <summary>sysexits(3): no answer in time.</summary>
    public const int ExitTimeout = 75;

    private static readonly MessageSource CliSource = new($"cli@{Environment.MachineName.ToLowerInvariant()}", "cli", 4);

    public async Task<int> RunAsync(IReadOnlyList<string> args, string defaultServer, CancellationToken cancellationToken)
    {
        var positional = new List<string>();
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] is "--wrap" or "--server" or "--timeout" or "--count" or "--env" or "--creds" or "--schema" or "--max-tokens" or "--out")
            {
                if (i + 1 >= args.Count)
                {
                    return Fail($"{args[i]} needs a value");
                }

                options[args[i]] = args[++i];
            }
            else
            {
                positional.Add(args[i]);
            }
        }

        if (positional.Count == 0)
        {
            return Fail("which command: pub, req, sub, math, ask, see, hear or say?");
        }

        var organVerb = positional[0] is "see" or "hear" or "say";
        var timeout = TimeSpan.FromSeconds(options.TryGetValue("--timeout", out var t) && double.TryParse(t, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 ? seconds : organVerb ? 30 : 5);
        await using var connection = new NatsConnection(new NatsOpts
        {
            Url = options.GetValueOrDefault("--server", defaultServer),
            Name = "nimmerverse-cli",
            AuthOpts = options.TryGetValue("--creds", out var creds) ? new NatsAuthOpts { CredsFile = creds } : NatsAuthOpts.Default,
        });
        try
        {
            await connection.ConnectAsync().ConfigureAwait(false);
        }
        catch (NatsException e) when (e.GetBaseException().Message.Contains("authorization violation", StringComparison.OrdinalIgnoreCase)
            || e.GetBaseException().Message.Contains("authentication", StringComparison.OrdinalIgnoreCase))
        {
            var given = creds is null ? "no credentials were given (--creds FILE)" : $"the credentials in {creds}";
            await error.WriteLineAsync($"nimmerverse nats: {connection.Opts.Url} refused {given}: {e.GetBaseException().Message}").ConfigureAwait(false);
            return ExitNoPermission;
        }
        catch (NatsException e)
        {
            await error.WriteLineAsync($"nimmerverse nats: cannot reach {connection.Opts.Url}: {e.Message}").ConfigureAwait(false);
            return ExitUnavailable;
        }

        return positional[0] switch
        {
            "pub" when positional.Count == 3 => await PublishAsync(connection, positional[1], positional[2], options, cancellationToken).ConfigureAwait(false),
            "req" when positional.Count == 3 => await RequestAsync(connection, positional[1], Payload(positional[2], options), timeout, cancellationToken).ConfigureAwait(false),
            "sub" when positional.Count == 2 => await SubscribeAsync(connection, positional[1], options, cancellationToken).ConfigureAwait(false),
            "math" when positional.Count >= 4 => await MathAsync(connection, positional, options, timeout, cancellationToken).ConfigureAwait(false),
            "ask" when positional.Count >= 2 => await AskAsync(connection, string.Join(' ', positional.Skip(1)), options, timeout, cancellationToken).ConfigureAwait(false),
            "see" or "hear" when positional.Count == 2 => await SenseAsync(connection, positional[0], positional[1], options, timeout, cancellationToken).ConfigureAwait(false),
            "say" when positional.Count >= 2 => await SayAsync(connection, string.Join(' ', positional.Skip(1)), options, timeout, cancellationToken).ConfigureAwait(false),
            _ => Fail($"'{string.Join(' ', positional)}' is not a nats command"),
        };
    }

    private async Task<int> PublishAsync(NatsConnection connection, string subject, string payload, Dictionary<string, string> options, CancellationToken cancellationToken)
    {
        if (!Subject.TryParse(subject, out _, out var problem))
        {
            return Fail(problem!);
        }

        await connection.PublishAsync(subject, Payload(payload, options), cancellationToken: cancellationToken).ConfigureAwait(false);
        await connection.PingAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }

    private async Task<int> RequestAsync(NatsConnection connection, string subject, byte[] payload, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var (reply, exit) = await ExchangeAsync(connection, subject, payload, timeout, cancellationToken).ConfigureAwait(false);
        if (reply is not null)
        {
            await output.WriteLineAsync(Encoding.UTF8.GetString(reply)).ConfigureAwait(false);
        }

        return exit;
    }

    /// <summary>A request and its reply, or the exit code and a sentence on stderr when none came.</summary>
    private async Task<(byte[]? Reply, int Exit)> ExchangeAsync(NatsConnection connection, string subject, byte[] payload, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!Subject.TryParse(subject, out _, out var problem))
        {
            return (null, Fail(problem!));
        }

        try
        {
            var reply = await connection.RequestAsync<byte[], byte[]>(subject, payload, replyOpts: new NatsSubOpts { Timeout = timeout }, cancellationToken: cancellationToken).ConfigureAwait(false);
            return (reply.Data ?? [], 0);
        }
        catch (NatsNoRespondersException)
        {
            await error.WriteLineAsync($"nimmerverse nats: nobody listens on {subject}").ConfigureAwait(false);
            return (null, ExitUnavailable);
        }
        catch (NatsNoReplyException)
        {
            await error.WriteLineAsync($"nimmerverse nats: no answer on {subject} within {timeout.TotalSeconds} s").ConfigureAwait(false);
            return (null, ExitTimeout);
        }
    }

    private async Task<int> SubscribeAsync(NatsConnection connection, string pattern, Dictionary<string, string> options, CancellationToken cancellationToken)
    {
        try
        {
            SubjectPattern.Parse(pattern);
        }
        catch (ArgumentException e)
        {
            return Fail(e.Message);
        }

        var count = options.TryGetValue("--count", out var c) && int.TryParse(c, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : int.MaxValue;
        await using var subscription = await connection.SubscribeCoreAsync<byte[]>(pattern, cancellationToken: cancellationToken).ConfigureAwait(false);
        await connection.PingAsync(cancellationToken).ConfigureAwait(false);
        await error.WriteLineAsync($"listening on {pattern}" + (count < int.MaxValue ? $" for {count} message(s)" : "; Ctrl-C stops")).ConfigureAwait(false);
        try
        {
            for (var seen = 0; seen < count; seen++)
            {
                var message = await subscription.Msgs.ReadAsync(cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync($"[{message.Subject}] {Encoding.UTF8.GetString(message.Data ?? [])}").ConfigureAwait(false);
                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }

        return 0;
    }

    private async Task<int> MathAsync(NatsConnection connection, List<string> positional, Dictionary<string, string> options, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var operands = new List<double>();
        foreach (var text in positional.Skip(2))
        {
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                return Fail($"'{text}' is not a number");
            }

            operands.Add(number);
        }

        if (SubjectsOf(options) is not { } subjects)
        {
            return Program.ExitUsage;
        }

        var request = Envelopes.Of(CliSource, new CellRequestBody(positional[1], operands));
        return await RequestAsync(connection, subjects.CellRequest("math").Value, WireCodec.Default.Encode(request), timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A question to the cortex as the operator; the answer (<c>cortex_response</c>) is printed as it came.</summary>
    private async Task<int> AskAsync(NatsConnection connection, string question, Dictionary<string, string> options, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (SubjectsOf(options) is not { } subjects)
        {
            return Program.ExitUsage;
        }

        var maxTokens = 64;
        if (options.TryGetValue("--max-tokens", out var given) && !int.TryParse(given, CultureInfo.InvariantCulture, out maxTokens))
        {
            return Fail($"--max-tokens '{given}' is not a number");
        }

        // The gateway's deadline is the wait here, less a little, so its answer comes before ours ends.
        var deadline = (int)Math.Clamp(timeout.TotalMilliseconds - 250, 100, 60_000);
        var body = new CortexRequestBody("operator", [new CortexMessage("user", question)], maxTokens, options.GetValueOrDefault("--schema"), deadline);
        if (body.Problem() is { } problem)
        {
            return Fail(problem);
        }

        return await RequestAsync(connection, subjects.CortexRequest.Value, WireCodec.Default.Encode(Envelopes.Of(CliSource, body)), timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The subjects of <c>--env</c> (default dev), or null after saying why there are none.</summary>
    private Subjects? SubjectsOf(Dictionary<string, string> options)
    {
        var environment = options.GetValueOrDefault("--env", Environments.Default);
        if (Environments.IsKnown(environment))
        {
            return new Subjects(environment);
        }

        Fail($"--env '{environment}' is not one of {Environments.Listed}");
        return null;
    }

    /// <summary>The payload as given, or its body wrapped in a fresh envelope of the named type.</summary>
    private static byte[] Payload(string given, Dictionary<string, string> options)
    {
        var text = given == "-" ? Console.In.ReadToEnd() : given;
        if (!options.TryGetValue("--wrap", out var type))
        {
            return Encoding.UTF8.GetBytes(text);
        }

        using var body = JsonDocument.Parse(text);
        var header = new MessageHeader(Guid.NewGuid(), type, MessageHeader.CurrentVersion, DateTimeOffset.UtcNow, CliSource);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("header");
            JsonSerializer.Serialize(writer, header, WireJsonContext.Default.MessageHeader);
            writer.WritePropertyName("body");
            body.RootElement.WriteTo(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private int Fail(string problem)
    {
        error.WriteLine($"nimmerverse nats: {problem}\n\n{Usage}");
        return Program.ExitUsage;
    }
}
