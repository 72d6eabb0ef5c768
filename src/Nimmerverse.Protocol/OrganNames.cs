namespace Nimmerverse.Protocol;

/// <summary>The organs, by the name their subjects and configuration use.</summary>
public static class OrganNames
{
    /// <summary>Objects and text in an image (<c>{env}.organs.vision.detect</c>).</summary>
    public const string Vision = "vision";

    /// <summary>Audio to text (<c>{env}.organs.speech.transcribe</c>).</summary>
    public const string SpeechToText = "speech-to-text";

    /// <summary>Text to audio (<c>{env}.organs.speech.speak</c>).</summary>
    public const string TextToSpeech = "text-to-speech";

    public static IReadOnlyList<string> All { get; } = [Vision, SpeechToText, TextToSpeech];

    public static string Listed => string.Join(", ", All);

    public static bool IsKnown(string? name) => name is not null && All.Contains(name, StringComparer.Ordinal);
}
