using System.Buffers.Binary;
using System.IO.Compression;
using OpenCvSharp;

namespace Nimmerverse.Organs.Tests;

/// <summary>
/// Encodes a drawn image as PNG in managed code: the tests draw with OpenCV but do not use its
/// codecs in a process that also loads Tesseract (two libpng builds collide; see GreyImage).
/// </summary>
public static class PngFile
{
    private static readonly uint[] s_crcTable = [.. Enumerable.Range(0, 256).Select(n =>
    {
        var c = (uint)n;
        for (var k = 0; k < 8; k++)
        {
            c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }

        return c;
    })];

    /// <summary>An 8-bit BGR or grey image as a PNG file.</summary>
    public static unsafe byte[] Encode(Mat image)
    {
        var (channels, width, height) = (image.Channels(), image.Width, image.Height);
        using var raw = new MemoryStream();
        using (var zlib = new ZLibStream(raw, CompressionLevel.Fastest, leaveOpen: true))
        {
            var row = new byte[1 + (width * channels)];
            for (var y = 0; y < height; y++)
            {
                var line = new ReadOnlySpan<byte>((byte*)image.Ptr(y), width * channels);
                for (var x = 0; x < width; x++)
                {
                    for (var c = 0; c < channels; c++)
                    {
                        // PNG is RGB where OpenCV is BGR.
                        row[1 + (x * channels) + c] = line[(x * channels) + (channels == 3 ? 2 - c : c)];
                    }
                }

                zlib.Write(row);
            }
        }

        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        (header[8], header[9]) = (8, channels == 3 ? (byte)2 : (byte)0);
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", raw.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(number, data.Length);
        png.Write(number);
        var typed = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typed);
        var crc = 0xFFFFFFFFu;
        foreach (var b in typed)
        {
            crc = s_crcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        BinaryPrimitives.WriteUInt32BigEndian(number, crc ^ 0xFFFFFFFF);
        png.Write(number);
    }
}
