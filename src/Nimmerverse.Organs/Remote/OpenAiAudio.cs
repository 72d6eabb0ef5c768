using System.ClientModel;
using System.ClientModel.Primitives;
using Nimmerverse.Organs.Local;
using Nimmerverse.Organs.Media;
using Nimmerverse.Protocol;
using OpenAI;
using OpenAI.Audio;

namespace Nimmerverse.Organs.Remote;

/// <summary>
/// The speech organs answered by an OpenAI-compatible speech server (the lab's GPU servers expose
/// <c>/v1/audio/speech</c> and <c>/v1/audio/transcriptions</c>), through the OpenAI SDK; the organ
/// process may own that server (<see cref="OwnedServer"/>), so loading and unloading still hold.
/// </summary>
public abstract class OpenAiAudio : IDisposable
{
    private readonly OwnedServer? _server;

    protected OpenAiAudio(OrganSettings settings)
    {
        var endpoint = new Uri(settings.Endpoint!);
        _server = settings.ServerCommand.Length == 0 ? null : OwnedServer.Start(settings.ServerCommand, endpoint, TimeSpan.FromSeconds(settings.ServerStartSeconds));
        var key = string.IsNullOrEmpty(settings.ApiKeyFile) ? "none" : File.ReadAllText(settings.ApiKeyFile).Trim();
        Audio = new AudioClient(settings.Model, new ApiKeyCredential(key), new OpenAIClientOptions
        {
            Endpoint = endpoint,
            NetworkTimeout = TimeSpan.FromSeconds(settings.RequestSeconds),
            RetryPolicy = new ClientRetryPolicy(0), // the organ manager decides what a failure means
        });
    }

    protected AudioClient Audio { get; }

    /// <summary>A failed call, as the organ answers it: the server's failure, not the input's.</summary>
    protected static InvalidOperationException Failed(string what, Exception e) => new($"the speech server could not {what}: {e.Message}", e);

    public void Dispose()
    {
        _server?.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Text to speech on an OpenAI-compatible server: WAV in the organ's voice setting.</summary>
public sealed class OpenAiSpeaker(OrganSettings settings) : OpenAiAudio(settings), ISpeaker
{
    private readonly GeneratedSpeechVoice _voice = new(settings.Voice);

    public WaveAudio Speak(string text)
    {
        try
        {
            var speech = Audio.GenerateSpeech(text, _voice, new SpeechGenerationOptions { ResponseFormat = GeneratedSpeechFormat.Wav });
            return WaveAudio.Parse(speech.Value.ToArray());
        }
        catch (Exception e) when (e is ClientResultException or InvalidDataException or HttpRequestException or TaskCanceledException)
        {
            throw Failed("speak", e);
        }
    }
}

/// <summary>
/// Speech to text on an OpenAI-compatible server. Its confidence is what the server's
/// <c>verbose_json</c> answer says: the mean over its segments of <c>exp(avg_logprob)</c>.
/// </summary>
public sealed class OpenAiTranscriber(OrganSettings settings) : OpenAiAudio(settings), ITranscriber
{
    public Transcription Transcribe(WaveAudio audio)
    {
        try
        {
            using var wave = new MemoryStream(audio.ToWave());
            var heard = Audio.TranscribeAudio(wave, "audio.wav", new AudioTranscriptionOptions { ResponseFormat = AudioTranscriptionFormat.Verbose }).Value;
            var segments = heard.Segments ?? [];
            var confidence = segments.Count == 0 ? 0 : segments.Average(s => Math.Exp(s.AverageLogProbability));
            return new Transcription(heard.Text.Trim(), Math.Clamp(confidence, 0, 1), heard.Duration?.TotalSeconds ?? audio.Duration.TotalSeconds);
        }
        catch (Exception e) when (e is ClientResultException or HttpRequestException or TaskCanceledException)
        {
            throw Failed("transcribe", e);
        }
    }
}
