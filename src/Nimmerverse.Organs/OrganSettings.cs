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

    /// <summary>Largest image or audio a request may carry, in bytes.</summary>
    public int MaxMediaBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Longest text the speaker takes, in characters.</summary>
    public int MaxTextChars { get; set; } = 1000;

    /// <summary>Text to speech: the eSpeak NG voice.</summary>
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
        return problems;
    }

    public ISpeaker CreateSpeaker() => new EspeakSpeaker(Voice, WordsPerMinute);

    public ITranscriber CreateTranscriber() => new PocketsphinxTranscriber(AcousticModel, Dictionary, Grammar, ConfidenceScale);

    /// <summary>The vision organ; the system's image codecs are loaded before OpenCV can be (see <see cref="Native.ImageLibraries"/>).</summary>
    public IVisionReader CreateVision()
    {
        Native.ImageLibraries.LoadSystemCodecsFirst();
        return new LocalVision(new TesseractReader(string.IsNullOrEmpty(TessData) ? null : TessData, Language), MinimumTextConfidence, MinimumShapeArea);
    }
}
