using Nimmerverse.Organs.Native;
using OpenCvSharp;

namespace Nimmerverse.Organs.Media;

/// <summary>
/// Decodes an image into 8-bit grey with Leptonica (the system's libpng and libjpeg, as Tesseract
/// uses them). OpenCV's own codecs are not used: its native build carries a second libpng whose
/// symbols collide with the system's (see <see cref="Native.ImageLibraries"/>), so OpenCV only ever
/// sees decoded pixels.
/// </summary>
public static class GreyImage
{
    static GreyImage() => LeptonicaNative.setMsgSeverity(LeptonicaNative.SeverityNone);

    /// <summary>The image as a grey <see cref="Mat"/>; <see cref="InvalidDataException"/> when it is not a whole PNG or JPEG.</summary>
    public static unsafe Mat Decode(byte[] image)
    {
        ImageCheck.Whole(image);
        var decoded = LeptonicaNative.pixReadMem(image, (nuint)image.Length);
        if (decoded == 0)
        {
            throw new InvalidDataException("the image could not be decoded (corrupt)");
        }

        var grey = LeptonicaNative.pixConvertTo8(decoded, 0);
        LeptonicaNative.pixDestroy(ref decoded);
        if (grey == 0)
        {
            throw new InvalidDataException("the image could not be turned into grey levels");
        }

        try
        {
            var (width, height, wordsPerLine) = (LeptonicaNative.pixGetWidth(grey), LeptonicaNative.pixGetHeight(grey), LeptonicaNative.pixGetWpl(grey));
            var data = (byte*)LeptonicaNative.pixGetData(grey);
            var mat = new Mat(height, width, MatType.CV_8UC1);
            var output = (byte*)mat.Data;
            var step = (int)mat.Step();
            for (var y = 0; y < height; y++)
            {
                var line = data + (y * wordsPerLine * 4);
                for (var x = 0; x < width; x++)
                {
                    // Leptonica keeps pixels in 32-bit words, most significant byte first: on a little-endian machine byte x is at x ^ 3.
                    output[(y * step) + x] = line[x ^ 3];
                }
            }

            return mat;
        }
        finally
        {
            LeptonicaNative.pixDestroy(ref grey);
        }
    }
}
