using System.Runtime.InteropServices;

namespace Nimmerverse.Organs.Native;

/// <summary>The part of Leptonica's C API (Debian's liblept5, Tesseract's image library) the vision organ decodes images with.</summary>
internal static partial class LeptonicaNative
{
    private const string Library = "liblept.so.5";

    /// <summary><c>L_SEVERITY_NONE</c>: Leptonica reports nothing on stderr (a refused image is reported by the organ).</summary>
    internal const int SeverityNone = 6;

    [LibraryImport(Library)]
    internal static partial int setMsgSeverity(int severity);

    /// <summary>Decodes an encoded image (PNG, JPEG, ...); null when it cannot.</summary>
    [LibraryImport(Library)]
    internal static partial nint pixReadMem(byte[] data, nuint size);

    /// <summary>The image as 8-bit grey (a new image), or null.</summary>
    [LibraryImport(Library)]
    internal static partial nint pixConvertTo8(nint pix, int colormap);

    [LibraryImport(Library)]
    internal static partial int pixGetWidth(nint pix);

    [LibraryImport(Library)]
    internal static partial int pixGetHeight(nint pix);

    /// <summary>32-bit words per line.</summary>
    [LibraryImport(Library)]
    internal static partial int pixGetWpl(nint pix);

    [LibraryImport(Library)]
    internal static partial nint pixGetData(nint pix);

    [LibraryImport(Library)]
    internal static partial void pixDestroy(ref nint pix);
}
