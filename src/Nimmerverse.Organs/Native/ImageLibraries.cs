using System.Runtime.InteropServices;

namespace Nimmerverse.Organs.Native;

/// <summary>
/// OpenCV's native build carries its own libpng, libjpeg and libtiff, exporting the same symbols as
/// the system's that Leptonica (and so Tesseract) uses. Whichever loads first wins those symbols for
/// the process; when OpenCV loads first, Leptonica's decoding runs against OpenCV's copies and
/// crashes (seen here: a segmentation fault on the first image). So the system's libraries are
/// loaded first, by whatever starts a process that uses both, before any OpenCV call.
/// </summary>
public static class ImageLibraries
{
    private static readonly Lazy<nint> s_leptonica = new(() => NativeLibrary.Load("liblept.so.5"));

    /// <summary>Loads Leptonica and the system's image codecs with it (once).</summary>
    public static void LoadSystemCodecsFirst() => _ = s_leptonica.Value;
}
