using OpenCvSharp;
using Nimmerverse.Testing.Media;

namespace Nimmerverse.Organs.Tests;

/// <summary>
/// A drawn image as PNG: the tests draw with OpenCV but do not use its codecs in a process that
/// also loads Tesseract (two libpng builds collide; see GreyImage), so the encoder is managed.
/// </summary>
public static class PngFile
{
    /// <summary>An 8-bit BGR or grey image as a PNG file.</summary>
    public static unsafe byte[] Encode(Mat image)
    {
        var (channels, width, height) = (image.Channels(), image.Width, image.Height);
        var pixels = new byte[width * height * channels];
        for (var y = 0; y < height; y++)
        {
            var line = new ReadOnlySpan<byte>((byte*)image.Ptr(y), width * channels);
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < channels; c++)
                {
                    // PNG is RGB where OpenCV is BGR.
                    pixels[(((y * width) + x) * channels) + c] = line[(x * channels) + (channels == 3 ? 2 - c : c)];
                }
            }
        }

        return PngEncoder.Encode(pixels, width, height, channels);
    }
}
