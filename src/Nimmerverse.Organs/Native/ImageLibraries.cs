using System.Runtime.InteropServices;

namespace Nimmerverse.Organs.Native;

/// <summary>
/// OpenCV's native build carries its own libpng, libjpeg and libtiff, exporting the same symbols as
/// the system's that Leptonica (and so Tesseract) uses. Whichever loads first wins those symbols for
/// the process; when OpenCV loads first, Leptonica's decoding runs against OpenCV's copies and
/// crashes (seen here: a segmentation fault on the first image). So the system's libraries are
/// loaded first: the vision organ does it as it loads, before its first OpenCV call (a test that
/// draws with OpenCV before that loads them itself).
/// </summary>
public static class ImageLibraries
{
    private static readonly Lazy<nint> s_leptonica = new(() => NativeLibrary.Load("liblept.so.5"));

    /// <summary>Loads Leptonica and the system's image codecs with it (once).</summary>
    public static void LoadSystemCodecsFirst() => _ = s_leptonica.Value;
}
