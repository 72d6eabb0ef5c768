using System.Runtime.InteropServices;
using System.Text;
using Nimmerverse.Organs.Media;
using Nimmerverse.Organs.Native;

namespace Nimmerverse.Organs.Local;

/// <summary>
/// Text to speech with eSpeak NG, loaded into this process: its voice data is read once at load,
/// each utterance is synthesised synchronously into memory. eSpeak NG is one synthesiser per
/// process, which is what an organ process is for.
/// </summary>
public sealed unsafe class EspeakSpeaker : ISpeaker
{
    // The synthesis callback cannot carry a managed object; one synthesiser per process, one utterance at a time.
    private static List<short>? s_collecting;
    private static int s_instances;
    private readonly int _sampleRate;

    public EspeakSpeaker(string voice, int wordsPerMinute)
    {
        if (Interlocked.Increment(ref s_instances) != 1)
        {
            Interlocked.Decrement(ref s_instances);
            throw new InvalidOperationException("eSpeak NG is one synthesiser per process");
        }

        _sampleRate = EspeakNative.espeak_Initialize(EspeakNative.SynchronousOutput, 0, null, 0);
        if (_sampleRate <= 0)
        {
            Interlocked.Decrement(ref s_instances);
            throw new OrganLoadException("eSpeak NG could not load its data (is espeak-ng-data installed?)");
        }

        EspeakNative.espeak_SetSynthCallback(&Collect);
        if (EspeakNative.espeak_SetVoiceByName(voice) != 0)
        {
            Dispose();
            throw new OrganLoadException($"eSpeak NG has no voice '{voice}' (espeak-ng --voices lists them)");
        }

        EspeakNative.espeak_SetParameter(EspeakNative.RateParameter, wordsPerMinute, 0);
    }

    public WaveAudio Speak(string text)
    {
        var collected = new List<short>(_sampleRate * 2);
        s_collecting = collected;
        try
        {
            var bytes = Encoding.UTF8.GetBytes(text + "\0");
            fixed (byte* start = bytes)
            {
                var error = EspeakNative.espeak_Synth(start, (nuint)bytes.Length, 0, EspeakNative.PositionCharacter, 0, EspeakNative.Utf8Text, 0, 0);
                if (error != 0)
                {
                    throw new InvalidOperationException($"eSpeak NG failed to synthesise (error {error})");
                }
            }
        }
        finally
        {
            s_collecting = null;
        }

        return new WaveAudio([.. collected], _sampleRate);
    }

    public void Dispose()
    {
        if (s_instances > 0)
        {
            EspeakNative.espeak_Terminate();
            Interlocked.Decrement(ref s_instances);
        }
    }

    [UnmanagedCallersOnly]
    private static int Collect(short* samples, int count, nint events)
    {
        if (samples is not null && count > 0)
        {
            s_collecting?.AddRange(new ReadOnlySpan<short>(samples, count));
        }

        return 0; // go on
    }
}
