using Nimmerverse.Organs.Media;
using Nimmerverse.Protocol;

namespace Nimmerverse.Organs.Local;

/// <summary>Text to speech: one utterance at a time.</summary>
public interface ISpeaker : IDisposable
{
    WaveAudio Speak(string text);
}

/// <summary>Speech to text: one utterance at a time.</summary>
public interface ITranscriber : IDisposable
{
    Transcription Transcribe(WaveAudio audio);
}

/// <summary>Objects and text in an encoded image (PNG, JPEG, ...): one image at a time.</summary>
public interface IVisionReader : IDisposable
{
    VisionResult Look(byte[] image);
}

/// <summary>A model that could not be loaded: the organ process exits and says why.</summary>
public sealed class OrganLoadException(string message) : Exception(message);
