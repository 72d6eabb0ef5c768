using Nimmerverse.Organs.Local;
using Nimmerverse.Protocol;

namespace Nimmerverse.Organs;

/// <summary>
/// One organ process: which organ it is, where it listens, and its backend's files. Section
/// <c>Organ</c>; every path defaults to where Debian's packages put it.
/// </summary>
public sealed class OrganSettings
{
    public const string SectionName = "Organ";

    /// <summary>vision, speech-to-text or text-to-speech.</summary>
    public string Organ { get; set; } = "";

    /// <summary>The HTTP address the organ serves (loopback: the organ manager is its only client).</summary>
    public string Listen { get; set; } = "http://127.0.0.1:5090";

    /// <summary>
    /// What answers: <c>local</c> (the backends on this machine, loaded into this process) or
    /// <c>openai</c> (an OpenAI-compatible speech server at <see cref="Endpoint"/>, the lab's GPU
    /// servers; speech organs only).
    /// </summary>
    public string Backend { get; set; } = LocalBackend;

    public const string LocalBackend = "local";
    public const string OpenAiBackend = "openai";

    /// <summary>The <c>openai</c> backend: the server's API base, e.g. <c>http://dioscuri:8000/v1</c>.</summary>
    public string? Endpoint { get; set; }

    /// <summary>The <c>openai</c> backend: the model asked (the server's name for it).</summary>
    public string Model { get; set; } = "";

    /// <summary>The <c>openai</c> backend: a file holding the server's API key; unset: none is sent.</summary>
    public string? ApiKeyFile { get; set; }

    /// <summary>
    /// The <c>openai</c> backend: the command line of a model server this organ owns (started when it
    /// loads, stopped when it unloads, so the card is freed with it); empty: the server runs on its own.
    /// </summary>
    public string[] ServerCommand { get; set; } = [];

    /// <summary>The <c>openai</c> backend: how long an owned server may take to listen (loading its model).</summary>
    public double ServerStartSeconds { get; set; } = 600;

    /// <summary>The <c>openai</c> backend: how long one call to the server may take.</summary>
    public double RequestSeconds { get; set; } = 60;

    /// <summary>Largest image or audio a request may carry, in bytes.</summary>
    public int MaxMediaBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Longest text the speaker takes, in characters.</summary>
    public int MaxTextChars { get; set; } = 1000;

    /// <summary>Text to speech: the eSpeak NG voice (with the <c>openai</c> backend: the server's voice name).</summary>
    public string Voice { get; set; } = "en";

    /// <summary>Text to speech: speaking rate.</summary>
    public int WordsPerMinute { get; set; } = 150;

    /// <summary>Speech to text: CMU Sphinx's acoustic model directory.</summary>
    public string AcousticModel { get; set; } = "/usr/share/pocketsphinx/model/en-us/en-us";

    /// <summary>Speech to text: the pronunciation dictionary.</summary>
    public string Dictionary { get; set; } = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict";

    /// <summary>Speech to text: the JSGF grammar of what the organ listens for (default: the organism's commands, shipped beside the binary).</summary>
    public string Grammar { get; set; } = Path.Combine(AppContext.BaseDirectory, "grammars", "commands.jsgf");

    /// <summary>
    /// Speech to text: how fast confidence falls as the grammar's path scores worse than the free
    /// phone loop, per frame, in the decoder's score units: confidence = exp(-difference / scale).
    /// Calibrated on the shipped grammar: a clear command scores near 1, a sentence outside it about 0.3.
    /// </summary>
    public double ConfidenceScale { get; set; } = 5;

    /// <summary>Vision: Tesseract's data directory (empty: its default).</summary>
    public string? TessData { get; set; }

    /// <summary>Vision: Tesseract's language.</summary>
    public string Language { get; set; } = "eng";

    /// <summary>Vision: lines of text read with less confidence (0..1) are left out (Tesseract reads shapes as letters, unsurely).</summary>
    public double MinimumTextConfidence { get; set; } = 0.6;

    /// <summary>Vision: the smallest shape reported, in pixels of area.</summary>
    public double MinimumShapeArea { get; set; } = 100;

    /// <summary>Problems with the settings, each with its configuration key.</summary>
    public IReadOnlyList<(string Key, string Problem)> Validate()
    {
        var problems = new List<(string, string)>();
        void Check(bool ok, string key, string problem)
        {
            if (!ok)
            {
                problems.Add(($"{SectionName}:{key}", problem));
            }
        }

        Check(OrganNames.IsKnown(Organ), nameof(Organ), $"'{Organ}' is not one of {OrganNames.Listed}");
        Check(Uri.TryCreate(Listen, UriKind.Absolute, out var listen) && listen.Scheme == Uri.UriSchemeHttp, nameof(Listen), $"'{Listen}' is not an http:// address");
        Check(MaxMediaBytes is >= 1024 and <= 256 * 1024 * 1024, nameof(MaxMediaBytes), "must be 1 KiB to 256 MiB");
        Check(MaxTextChars is >= 1 and <= 100_000, nameof(MaxTextChars), "must be 1 to 100000");
        Check(WordsPerMinute is >= 80 and <= 450, nameof(WordsPerMinute), "must be 80 to 450 (eSpeak NG's range)");
        Check(ConfidenceScale is > 0 and <= 1000, nameof(ConfidenceScale), "must be above 0 and at most 1000");
        Check(MinimumTextConfidence is >= 0 and <= 1, nameof(MinimumTextConfidence), "must be 0 to 1");
        Check(MinimumShapeArea is >= 1, nameof(MinimumShapeArea), "must be at least 1");
        Check(Backend is LocalBackend or OpenAiBackend, nameof(Backend), $"'{Backend}' is not {LocalBackend} or {OpenAiBackend}");
        if (Backend == OpenAiBackend)
        {
            Check(Organ != OrganNames.Vision, nameof(Backend), "vision has no openai backend yet (only the speech organs)");
            Check(Uri.TryCreate(Endpoint, UriKind.Absolute, out var endpoint) && endpoint.Scheme is "http" or "https", nameof(Endpoint), $"'{Endpoint}' is not an http(s):// API base such as http://dioscuri:8000/v1");
            Check(!string.IsNullOrWhiteSpace(Model), nameof(Model), "the openai backend needs the model's name");
            Check(ApiKeyFile is null || File.Exists(ApiKeyFile), nameof(ApiKeyFile), $"'{ApiKeyFile}' does not exist");
            Check(ServerStartSeconds is > 0 and <= 86_400, nameof(ServerStartSeconds), "must be above 0 and at most 86400");
            Check(RequestSeconds is > 0 and <= 3600, nameof(RequestSeconds), "must be above 0 and at most 3600");
        }

        return problems;
    }

    public ISpeaker CreateSpeaker() => Backend == OpenAiBackend ? new Remote.OpenAiSpeaker(this) : new EspeakSpeaker(Voice, WordsPerMinute);

    public ITranscriber CreateTranscriber() => Backend == OpenAiBackend
        ? new Remote.OpenAiTranscriber(this)
        : new PocketsphinxTranscriber(AcousticModel, Dictionary, Grammar, ConfidenceScale);

    /// <summary>The vision organ; the system's image codecs are loaded before OpenCV can be (see <see cref="Native.ImageLibraries"/>).</summary>
    public IVisionReader CreateVision()
    {
        Native.ImageLibraries.LoadSystemCodecsFirst();
        return new LocalVision(new TesseractReader(string.IsNullOrEmpty(TessData) ? null : TessData, Language), MinimumTextConfidence, MinimumShapeArea);
    }
}
