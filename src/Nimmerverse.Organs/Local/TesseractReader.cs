using System.Runtime.InteropServices;
using Nimmerverse.Organs.Native;
using Nimmerverse.Protocol;
using OpenCvSharp;

namespace Nimmerverse.Organs.Local;

/// <summary>
/// Reads text with Tesseract, loaded into this process: the language model is read once at load;
/// each image is recognised line by line, each line with its confidence and box.
/// </summary>
public sealed class TesseractReader : IDisposable
{
    private readonly nint _api;

    public TesseractReader(string? dataPath, string language)
    {
        _api = TesseractNative.TessBaseAPICreate();
        if (TesseractNative.TessBaseAPIInit3(_api, dataPath, language) != 0)
        {
            Dispose();
            throw new OrganLoadException($"Tesseract could not load the language '{language}' from {dataPath ?? "its default data directory"} (apt-get install tesseract-ocr-{language})");
        }

        TesseractNative.TessBaseAPISetPageSegMode(_api, TesseractNative.SparseText);
        // Images come without a resolution; without one Tesseract guesses, and says so on stderr for every image.
        TesseractNative.TessBaseAPISetVariable(_api, "user_defined_dpi", "300");
    }

    /// <summary>The lines of text in a grey image (8 bits per pixel), empty lines left out.</summary>
    public IReadOnlyList<TextRead> Read(Mat grey)
    {
        TesseractNative.TessBaseAPISetImage(_api, grey.Data, grey.Width, grey.Height, 1, (int)grey.Step());
        if (TesseractNative.TessBaseAPIRecognize(_api, 0) != 0)
        {
            throw new InvalidOperationException("Tesseract could not recognise the image");
        }

        var lines = new List<TextRead>();
        var iterator = TesseractNative.TessBaseAPIGetIterator(_api);
        if (iterator == 0)
        {
            return lines;
        }

        try
        {
            var level = TesseractNative.TextLine;
            do
            {
                var text = TesseractNative.TessResultIteratorGetUTF8Text(iterator, level);
                if (text == 0)
                {
                    continue;
                }

                var line = Marshal.PtrToStringUTF8(text)!.Trim();
                TesseractNative.TessDeleteText(text);
                var page = TesseractNative.TessResultIteratorGetPageIterator(iterator);
                if (line.Length > 0 && TesseractNative.TessPageIteratorBoundingBox(page, level, out var left, out var top, out var right, out var bottom))
                {
                    var confidence = Math.Clamp(TesseractNative.TessResultIteratorConfidence(iterator, level) / 100.0, 0, 1);
                    lines.Add(new TextRead(line, Math.Round(confidence, 4), new ImageBox(left, top, right - left, bottom - top)));
                }
            }
            while (TesseractNative.TessResultIteratorNext(iterator, level));
        }
        finally
        {
            TesseractNative.TessResultIteratorDelete(iterator);
        }

        return lines;
    }

    public void Dispose()
    {
        if (_api != 0)
        {
            TesseractNative.TessBaseAPIEnd(_api);
            TesseractNative.TessBaseAPIDelete(_api);
        }
    }
}
