using System.Runtime.InteropServices;

namespace Nimmerverse.Organs.Native;

/// <summary>
/// The part of eSpeak NG's C API (Debian's libespeak-ng1) the text-to-speech organ uses: synchronous
/// synthesis into a callback. The library is one global synthesiser per process.
/// </summary>
internal static unsafe partial class EspeakNative
{
    private const string Library = "libespeak-ng.so.1";

    /// <summary><c>AUDIO_OUTPUT_SYNCHRONOUS</c>: <c>espeak_Synth</c> returns when all audio went through the callback.</summary>
    internal const int SynchronousOutput = 2;

    /// <summary><c>espeakRATE</c>, words per minute.</summary>
    internal const int RateParameter = 1;

    /// <summary><c>POS_CHARACTER</c>.</summary>
    internal const int PositionCharacter = 1;

    /// <summary><c>espeakCHARS_UTF8</c>.</summary>
    internal const uint Utf8Text = 1;

    /// <summary>The output sample rate, or -1 when the data could not be loaded.</summary>
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int espeak_Initialize(int output, int bufferMs, string? path, int options);

    [LibraryImport(Library)]
    internal static partial void espeak_SetSynthCallback(delegate* unmanaged<short*, int, nint, int> callback);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int espeak_SetVoiceByName(string name);

    [LibraryImport(Library)]
    internal static partial int espeak_SetParameter(int parameter, int value, int relative);

    [LibraryImport(Library)]
    internal static partial int espeak_Synth(byte* text, nuint size, uint position, int positionType, uint endPosition, uint flags, nint uniqueIdentifier, nint userData);

    [LibraryImport(Library)]
    internal static partial int espeak_Terminate();
}
