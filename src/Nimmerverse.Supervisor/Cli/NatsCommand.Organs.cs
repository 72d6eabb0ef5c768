using System.Text;
using NATS.Client.Core;
using Nimmerverse.Protocol;

namespace Nimmerverse.Supervisor.Cli;

/// <summary><c>nimmerverse nats see|hear|say</c>: the organs, asked as the operator.</summary>
public sealed partial class NatsCommand
{
    private const string Operator = "operator";

    /// <summary>An image to the vision organ or a WAV to the speech-to-text organ; the answer printed as it came.</summary>
    private async Task<int> SenseAsync(NatsConnection connection, string verb, string file, Dictionary<string, string> options, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (SubjectsOf(options) is not { } subjects)
        {
            return Program.ExitUsage;
        }

        if (!File.Exists(file))
        {
            return Fail($"'{file}' does not exist");
        }

        var media = await File.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false);
        var body = new OrganRequestBody(Operator, Media: media, TimeoutMs: OrganDeadline(timeout));
        if (OrganMedia.TooLargeForAMessage(media.Length))
        {
            // Too large for one message: into the object store first, and the request names it.
            var name = $"cli-{Guid.NewGuid():N}{Path.GetExtension(file)}";
            await (await MediaBucketAsync(connection, subjects, cancellationToken).ConfigureAwait(false)).PutAsync(name, media, cancellationToken).ConfigureAwait(false);
            body = body with { Media = null, MediaObject = name };
        }

        if (body.Problem() is { } problem)
        {
            return Fail(problem);
        }

        var organ = verb == "see" ? OrganNames.Vision : OrganNames.SpeechToText;
        return await RequestAsync(connection, subjects.OrganRequest(organ).Value, WireCodec.Default.Encode(Envelopes.Of(CliSource, body)), timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Words to the text-to-speech organ; its WAV goes to <c>--out</c>, the rest of its answer to standard output.</summary>
    private async Task<int> SayAsync(NatsConnection connection, string words, Dictionary<string, string> options, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (SubjectsOf(options) is not { } subjects)
        {
            return Program.ExitUsage;
        }

        if (!options.TryGetValue("--out", out var file))
        {
            return Fail("say needs --out FILE for the audio");
        }

        var body = new OrganRequestBody(Operator, Text: words, TimeoutMs: OrganDeadline(timeout));
        if (body.Problem() is { } problem)
        {
            return Fail(problem);
        }

        var (reply, exit) = await ExchangeAsync(connection, subjects.OrganRequest(OrganNames.TextToSpeech).Value, WireCodec.Default.Encode(Envelopes.Of(CliSource, body)), timeout, cancellationToken).ConfigureAwait(false);
        if (reply is null)
        {
            return exit;
        }

        var decoded = OrganRequestBody.Codec.Decode<OrganResponseBody>(reply);
        if (decoded.Envelope is not { } answer)
        {
            await error.WriteLineAsync($"nimmerverse nats: not an organ_response ({decoded.Rejection}): {Encoding.UTF8.GetString(reply)}").ConfigureAwait(false);
            return ExitUnavailable;
        }

        var speech = answer.Body.Speech;
        if (answer.Body.SpeechObject is { } kept)
        {
            speech = await (await MediaBucketAsync(connection, subjects, cancellationToken).ConfigureAwait(false)).GetBytesAsync(kept, cancellationToken).ConfigureAwait(false);
        }

        if (speech is not null)
        {
            await File.WriteAllBytesAsync(file, speech, cancellationToken).ConfigureAwait(false);
            await error.WriteLineAsync($"wrote {speech.Length} bytes of audio/wav to {file}").ConfigureAwait(false);
        }

        // The answer without its audio: a line a person can read.
        var shown = answer with { Body = answer.Body with { Speech = null } };
        await output.WriteLineAsync(Encoding.UTF8.GetString(WireCodec.Default.Encode(shown))).ConfigureAwait(false);
        return answer.Body.Status == RequestStatus.Answered ? 0 : ExitUnavailable;
    }

    /// <summary>The organs' media bucket (made if it is not there yet, as the organs make it).</summary>
    private static Task<NATS.Client.ObjectStore.INatsObjStore> MediaBucketAsync(NatsConnection connection, Subjects subjects, CancellationToken cancellationToken) =>
        Nimmerverse.Actors.Organs.JetStreamOrganMediaStore.OpenAsync(connection, subjects.Environment, cancellationToken);

    /// <summary>The organ's deadline is the wait here, less a little, so its answer comes before ours ends.</summary>
    private static int OrganDeadline(TimeSpan timeout) => (int)Math.Clamp(timeout.TotalMilliseconds - 250, 100, 120_000);
}
