namespace Nimmerverse.Protocol;

/// <summary>
/// A request to an organ (<c>organ_request</c>, request/reply): on <c>{env}.organs.vision.detect</c>
/// an image (PNG or JPEG), on <c>{env}.organs.speech.transcribe</c> a WAV, either in <see cref="Media"/>
/// (base64, within the server's payload limit) or, when larger, put first in the JetStream object
/// store bucket <see cref="OrganMedia.Bucket"/> and named in <see cref="MediaObject"/>; on
/// <c>{env}.organs.speech.speak</c> the words in <see cref="Text"/>.
/// </summary>
public sealed record OrganRequestBody(
    string Requester,
    byte[]? Media = null,
    string? Text = null,
    int TimeoutMs = OrganRequestBody.DefaultTimeoutMs,
    string? MediaObject = null) : IMessageBody
{
    public const int DefaultTimeoutMs = 20_000;

    /// <summary>Organ requests and answers carry media: they travel up to the NATS server's own default maximum payload.</summary>
    public const int MaxPayloadBytes = 1024 * 1024;

    /// <summary>The codec for organ messages, with room for their media.</summary>
    public static WireCodec Codec { get; } = new(MaxPayloadBytes);

    /// <summary>The longest text to speak; the organ may set a lower bound of its own.</summary>
    public const int MaxTextCharacters = 4096;

    public static string MessageType => "organ_request";

    public string? Problem() => Checks.First(
        CortexRequesters.Problem(Requester),
        Media is { Length: 0 } ? "media is empty" : null,
        MediaObject is not null ? OrganMedia.NameProblem("media_object", MediaObject) : null,
        Media is not null && MediaObject is not null ? "media and media_object are two answers to one question: send one" : null,
        Checks.Prose("text", Text, MaxTextCharacters),
        Text is not null && string.IsNullOrWhiteSpace(Text) ? "text is blank" : null,
        TimeoutMs is < 100 or > 120_000 ? $"timeout_ms {TimeoutMs} is outside 100..120000" : null);

    /// <summary>What the operation on <paramref name="organ"/> needs and this request lacks, or null.</summary>
    public string? MissingFor(string organ) => organ switch
    {
        OrganNames.TextToSpeech => Text is null ? "text-to-speech needs text" : Media is not null || MediaObject is not null ? "text-to-speech takes text, not media" : null,
        OrganNames.Vision or OrganNames.SpeechToText => Media is null && MediaObject is null ? $"{organ} needs media" : Text is not null ? $"{organ} takes media, not text" : null,
        _ => $"'{organ}' is not one of {OrganNames.Listed}",
    };
}

/// <summary>Why an organ request was refused or failed.</summary>
public static class OrganReasons
{
    /// <summary>Refused: the organism cannot pay the call's lifeforce.</summary>
    public const string NoLifeforce = "no_lifeforce";

    /// <summary>Refused: the request lacks what the operation needs (an image to look at, words to say).</summary>
    public const string InvalidRequest = "invalid_request";

    /// <summary>Refused: the organ could not use the input (a corrupt image, audio that is not WAV, too much text).</summary>
    public const string InputRefused = "input_refused";

    /// <summary>Failed: no answer before the request's deadline (waiting for the card, loading, or working).</summary>
    public const string Timeout = "timeout";

    /// <summary>Failed: the organ could not be loaded.</summary>
    public const string LoadFailed = "load_failed";

    /// <summary>Failed: the organ crashed or hung while this request was in it (it is restarted).</summary>
    public const string OrganFailed = "organ_failed";

    /// <summary>Failed: the organ manager stopped with the request unanswered.</summary>
    public const string ShuttingDown = "shutting_down";

    public static readonly IReadOnlySet<string> Refusals = new HashSet<string>(StringComparer.Ordinal) { NoLifeforce, InvalidRequest, InputRefused };

    public static readonly IReadOnlySet<string> Failures = new HashSet<string>(StringComparer.Ordinal) { Timeout, LoadFailed, OrganFailed, ShuttingDown };

    internal static string? Problem(string status, string? reason) => status switch
    {
        RequestStatus.Answered => reason is not null ? "an answered request has no reason" : null,
        RequestStatus.Refused => reason is null || !Refusals.Contains(reason) ? $"a refusal's reason '{reason}' is not one of {string.Join(", ", Refusals)}" : null,
        RequestStatus.Failed => reason is null || !Failures.Contains(reason) ? $"a failure's reason '{reason}' is not one of {string.Join(", ", Failures)}" : null,
        _ => $"status '{status}' is not one of {string.Join(", ", RequestStatus.All)}",
    };
}

/// <summary>
/// An organ's answer (<c>organ_response</c>) on the request's reply subject, its correlation id the
/// request's message id. Answered: the result of the organ's kind (<see cref="Vision"/>,
/// <see cref="Transcription"/>, or <see cref="Speech"/> as a WAV; a WAV too large for the payload limit
/// is put in the object store bucket and named in <see cref="SpeechObject"/>), the time it waited (for the card,
/// and for the load when it had to), the time the organ worked, and the lifeforce it cost.
/// </summary>
public sealed record OrganResponseBody(
    string Requester,
    string Organ,
    string Status,
    string? Reason = null,
    string? Detail = null,
    VisionResult? Vision = null,
    Transcription? Transcription = null,
    byte[]? Speech = null,
    double WaitMs = 0,
    double WorkMs = 0,
    double? LoadMs = null,
    double LifeforceSpent = 0,
    string? SpeechObject = null) : IMessageBody
{
    public static string MessageType => "organ_response";

    public string? Problem() => Checks.First(
        CortexRequesters.Problem(Requester),
        !OrganNames.IsKnown(Organ) ? $"organ '{Organ}' is not one of {OrganNames.Listed}" : null,
        OrganReasons.Problem(Status, Reason),
        Status == RequestStatus.Answered && (Organ, Vision, Transcription, Speech ?? (object?)SpeechObject) is not ((OrganNames.Vision, not null, null, null) or (OrganNames.SpeechToText, null, not null, null) or (OrganNames.TextToSpeech, null, null, not null))
            ? $"an answer of {Organ} carries its own result and no other" : null,
        Speech is not null && SpeechObject is not null ? "speech and speech_object are one answer given twice" : null,
        SpeechObject is not null ? OrganMedia.NameProblem("speech_object", SpeechObject) : null,
        Status != RequestStatus.Answered && (Vision, Transcription, Speech ?? (object?)SpeechObject) is not (null, null, null) ? "only an answer carries a result" : null,
        Checks.Printable("detail", Detail),
        Vision is null ? null : OrganResultChecks.Problem(Vision),
        Transcription is null ? null : OrganResultChecks.Problem(Transcription),
        OrganResultChecks.Times(WaitMs, WorkMs, LoadMs, LifeforceSpent),
        Status != RequestStatus.Answered && LifeforceSpent > 0 ? "only an answered request spends lifeforce" : null);
}

/// <summary>
/// One organ operation as a decision trail (<c>organ_trail</c>, published durably on
/// <c>{env}.organs.{organ}.trail</c> and kept in PostgreSQL <c>organ_trails</c>): what came in
/// (a summary, not the media), what came out, how sure, what it cost and how long it took.
/// </summary>
public sealed record OrganTrailBody(
    Guid RequestId,
    string Requester,
    string Organ,
    string Status,
    string Input,
    string? Reason = null,
    string? Detail = null,
    string? Output = null,
    double? Confidence = null,
    double WaitMs = 0,
    double WorkMs = 0,
    double? LoadMs = null,
    double LifeforceSpent = 0,
    string? Card = null) : IMessageBody
{
    public static string MessageType => "organ_trail";

    public string? Problem() => Checks.First(
        CortexRequesters.Problem(Requester),
        !OrganNames.IsKnown(Organ) ? $"organ '{Organ}' is not one of {OrganNames.Listed}" : null,
        OrganReasons.Problem(Status, Reason),
        Checks.NotEmpty("input", Input),
        Checks.Printable("detail", Detail),
        Checks.Printable("output", Output),
        Confidence is { } confidence ? Checks.InRange("confidence", confidence, 0, 1) : null,
        OrganResultChecks.Times(WaitMs, WorkMs, LoadMs, LifeforceSpent),
        Card is not null ? Checks.NotEmpty("card", Card) : null);
}

/// <summary>The lifecycle states of a loaded organ, as <c>organ_state</c> names them.</summary>
public static class OrganStates
{
    public const string Idle = "idle";
    public const string Loading = "loading";
    public const string Ready = "ready";
    public const string Processing = "processing";
    public const string Unloading = "unloading";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Idle, Loading, Ready, Processing, Unloading };
}

/// <summary>
/// An organ's lifecycle step (<c>organ_state</c>, on <c>{env}.organs.{organ}.state</c>): the state,
/// the card it holds, its process, how long its load took (on <c>ready</c> after a load), and why it
/// went idle when that was not idleness (a crash, a failed load, another organ taking the card).
/// </summary>
public sealed record OrganStateBody(string Organ, string State, string? Card = null, int? Pid = null, double? LoadMs = null, string? Reason = null) : IMessageBody
{
    public static string MessageType => "organ_state";

    public string? Problem() => Checks.First(
        !OrganNames.IsKnown(Organ) ? $"organ '{Organ}' is not one of {OrganNames.Listed}" : null,
        !OrganStates.All.Contains(State) ? $"state '{State}' is not one of {string.Join(", ", OrganStates.All)}" : null,
        Card is not null ? Checks.NotEmpty("card", Card) : null,
        Pid is <= 0 ? $"pid {Pid} is not a process id" : null,
        LoadMs is { } load ? Checks.InRange("load_ms", load, 0, double.MaxValue) : null,
        Checks.Printable("reason", Reason));
}

internal static class OrganResultChecks
{
    public static string? Times(double waitMs, double workMs, double? loadMs, double lifeforceSpent) => Checks.First(
        Checks.InRange("wait_ms", waitMs, 0, double.MaxValue),
        Checks.InRange("work_ms", workMs, 0, double.MaxValue),
        loadMs is { } load ? Checks.InRange("load_ms", load, 0, double.MaxValue) : null,
        Checks.InRange("lifeforce_spent", lifeforceSpent, 0, double.MaxValue));

    public static string? Problem(VisionResult vision) => Checks.First(
        Checks.AtMostItems("vision.detections", vision.Detections),
        Checks.AtMostItems("vision.text", vision.Text),
        vision.Detections.Select((d, i) => d is null ? $"vision.detections[{i}] is null" : Checks.First(Checks.NotEmpty($"vision.detections[{i}].label", d.Label), Checks.InRange($"vision.detections[{i}].confidence", d.Confidence, 0, 1))).FirstOrDefault(p => p is not null),
        vision.Text.Select((t, i) => t is null ? $"vision.text[{i}] is null" : Checks.First(Checks.Printable($"vision.text[{i}].text", t.Text), Checks.InRange($"vision.text[{i}].confidence", t.Confidence, 0, 1))).FirstOrDefault(p => p is not null));

    public static string? Problem(Transcription transcription) => Checks.First(
        Checks.Printable("transcription.text", transcription.Text),
        Checks.InRange("transcription.confidence", transcription.Confidence, 0, 1),
        Checks.InRange("transcription.duration_seconds", transcription.DurationSeconds, 0, double.MaxValue));
}

/// <summary>The JetStream object store for organ media too large for a message: one bucket per environment, objects kept an hour.</summary>
public static class OrganMedia
{
    /// <summary>How long an object is kept: long enough to be asked about and answered, no longer.</summary>
    public static readonly TimeSpan KeptFor = TimeSpan.FromHours(1);

    public const int MaxNameLength = 255;

    /// <summary><c>nimmerverse-{env}-organ-media</c>.</summary>
    public static string Bucket(string environment) => $"nimmerverse-{environment}-organ-media";

    /// <summary>The object an answer's speech is put in.</summary>
    public static string SpeechOf(Guid requestId) => $"speech-{requestId:N}.wav";

    /// <summary>Whether <see cref="OrganRequestBody.MediaObject"/>'s media must travel apart: its base64 would not fit a message with room to spare.</summary>
    public static bool TooLargeForAMessage(long bytes) => (bytes + 2) / 3 * 4 > OrganRequestBody.MaxPayloadBytes - (16 * 1024);

    internal static string? NameProblem(string field, string name) => Checks.First(
        Checks.NotEmpty(field, name),
        name.Length > MaxNameLength ? $"{field} is {name.Length} characters long, more than {MaxNameLength}" : null);
}
