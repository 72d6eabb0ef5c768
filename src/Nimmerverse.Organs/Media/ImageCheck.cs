using System.Buffers.Binary;

namespace Nimmerverse.Organs.Media;

/// <summary>
/// What the vision organ checks before an image reaches the decoder: PNG or JPEG, whole, of a sane
/// size. OpenCV's bundled libpng can corrupt its heap on a truncated PNG (seen here: a double free
/// that killed the process), so a cut-off or implausible image is refused before it is decoded.
/// </summary>
public static class ImageCheck
{
    /// <summary>The widest or tallest image taken, in pixels.</summary>
    public const int MaxSide = 16384;

    /// <summary>Throws <see cref="InvalidDataException"/> saying what is wrong, or returns the format's name.</summary>
    public static string Whole(ReadOnlySpan<byte> image)
    {
        if (image.Length >= 33 && image[..8].SequenceEqual((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            if (!image.Slice(12, 4).SequenceEqual("IHDR"u8))
            {
                throw new InvalidDataException("the image could not be decoded (a PNG without its header chunk)");
            }

            var (width, height) = (BinaryPrimitives.ReadUInt32BigEndian(image[16..]), BinaryPrimitives.ReadUInt32BigEndian(image[20..]));
            if (width is 0 or > MaxSide || height is 0 or > MaxSide)
            {
                throw new InvalidDataException($"the image could not be decoded (a PNG of {width}x{height} pixels; at most {MaxSide} a side)");
            }

            if (image.Length < 45 || !image[^8..^4].SequenceEqual("IEND"u8))
            {
                throw new InvalidDataException("the image could not be decoded (a PNG cut short: no end chunk)");
            }

            return "png";
        }

        if (image.Length >= 4 && image[0] == 0xFF && image[1] == 0xD8)
        {
            if (image[^2] != 0xFF || image[^1] != 0xD9)
            {
                throw new InvalidDataException("the image could not be decoded (a JPEG cut short: no end marker)");
            }

            return "jpeg";
        }

        throw new InvalidDataException("the image could not be decoded (only PNG and JPEG are taken)");
    }
}
