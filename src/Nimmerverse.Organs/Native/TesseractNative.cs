using System.Runtime.InteropServices;

namespace Nimmerverse.Organs.Native;

/// <summary>The part of Tesseract's C API (Debian's libtesseract5) the vision organ uses to read text.</summary>
internal static partial class TesseractNative
{
    private const string Library = "libtesseract.so.5";

    /// <summary>Iterator level: one text line.</summary>
    internal const int TextLine = 2;

    /// <summary>Page segmentation: a single uniform block of text, whatever the page's layout.</summary>
    internal const int SparseText = 11;

    [LibraryImport(Library)]
    internal static partial nint TessBaseAPICreate();

    [LibraryImport(Library)]
    internal static partial void TessBaseAPIDelete(nint api);

    [LibraryImport(Library)]
    internal static partial void TessBaseAPIEnd(nint api);

    /// <summary>Loads the language's model; 0 on success.</summary>
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int TessBaseAPIInit3(nint api, string? dataPath, string language);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    [return: MarshalAs(UnmanagedType.I4)]
    internal static partial bool TessBaseAPISetVariable(nint api, string name, string value);

    [LibraryImport(Library)]
    internal static partial void TessBaseAPISetPageSegMode(nint api, int mode);

    [LibraryImport(Library)]
    internal static partial void TessBaseAPISetImage(nint api, nint pixels, int width, int height, int bytesPerPixel, int bytesPerLine);

    [LibraryImport(Library)]
    internal static partial int TessBaseAPIRecognize(nint api, nint monitor);

    [LibraryImport(Library)]
    internal static partial nint TessBaseAPIGetIterator(nint api);

    [LibraryImport(Library)]
    internal static partial nint TessResultIteratorGetUTF8Text(nint iterator, int level);

    [LibraryImport(Library)]
    internal static partial float TessResultIteratorConfidence(nint iterator, int level);

    [LibraryImport(Library)]
    internal static partial nint TessResultIteratorGetPageIterator(nint iterator);

    [LibraryImport(Library)]
    [return: MarshalAs(UnmanagedType.I4)]
    internal static partial bool TessPageIteratorBoundingBox(nint iterator, int level, out int left, out int top, out int right, out int bottom);

    [LibraryImport(Library)]
    [return: MarshalAs(UnmanagedType.I4)]
    internal static partial bool TessResultIteratorNext(nint iterator, int level);

    [LibraryImport(Library)]
    internal static partial void TessResultIteratorDelete(nint iterator);

    [LibraryImport(Library)]
    internal static partial void TessDeleteText(nint text);
}
