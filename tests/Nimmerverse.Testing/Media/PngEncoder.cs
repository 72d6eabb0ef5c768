using System.Buffers.Binary;
using System.IO.Compression;

namespace Nimmerverse.Testing.Media;

/// <summary>
/// Encodes pixels as a PNG file in managed code, for images shown to the vision organ: a test or a
/// benchmark draws them without any native codec (two libpng builds in one process collide).
/// </summary>
public static class PngEncoder
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

    /// <summary>8-bit pixels, row by row: grey (one channel) or RGB (three).</summary>
    public static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, int channels)
    {
        if (channels is not (1 or 3) || pixels.Length != width * height * channels)
        {
            throw new ArgumentException($"{pixels.Length} bytes are not {width}x{height} pixels of {channels} channel(s)", nameof(pixels));
        }

        using var raw = new MemoryStream();
        using (var zlib = new ZLibStream(raw, CompressionLevel.Fastest, leaveOpen: true))
        {
            var stride = width * channels;
            for (var y = 0; y < height; y++)
            {
                zlib.WriteByte(0); // filter: none
                zlib.Write(pixels.Slice(y * stride, stride));
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

    /// <summary>Dark filled rectangles on white, grey: shapes the vision organ finds.</summary>
    public static byte[] Rectangles(int width, int height, params (int X, int Y, int Width, int Height)[] boxes)
    {
        var pixels = new byte[width * height];
        pixels.AsSpan().Fill(255);
        foreach (var (x, y, w, h) in boxes)
        {
            for (var row = y; row < Math.Min(height, y + h); row++)
            {
                pixels.AsSpan((row * width) + x, Math.Min(w, width - x)).Fill(40);
            }
        }

        return Encode(pixels, width, height, 1);
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
