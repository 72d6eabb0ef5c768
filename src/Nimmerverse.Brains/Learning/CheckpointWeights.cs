using System.Buffers.Binary;
using System.Text;

namespace Nimmerverse.Brains.Learning;

/// <summary>
/// A network's weights as a checkpoint carries them: TorchSharp's state-dict format (what its
/// <c>Module.save</c> writes), so checkpoints kept before the lean engine existed still load, and
/// either engine reads what the other wrote. The format: the entry count; per entry its name
/// (length-prefixed UTF-8), element type, rank, each dimension, then the elements little-endian;
/// every count is an unsigned LEB128.
/// </summary>
public static class CheckpointWeights
{
    /// <summary>TorchSharp's code for float32 elements.</summary>
    private const int Float32 = 6;

    /// <summary>The prefix of every entry's name: the field holding the layers in TorchSharp's module.</summary>
    private const string Prefix = "_layers.";

    public static byte[] Write(NetworkLayout layout, ReadOnlySpan<float> parameters)
    {
        using var stream = new MemoryStream((parameters.Length * sizeof(float)) + 256);
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write7BitEncodedInt64(layout.Layers.Count * 2);
            foreach (var layer in layout.Layers)
            {
                Entry(writer, $"{Prefix}{layer.Name}.weight", [layer.Out, layer.In], parameters[layer.WeightOffset..layer.BiasOffset]);
                Entry(writer, $"{Prefix}{layer.Name}.bias", [layer.Out], parameters[layer.BiasOffset..layer.End]);
            }
        }

        return stream.ToArray();
    }

    /// <summary>
    /// Reads <paramref name="weights"/> into <paramref name="parameters"/> (<see cref="NetworkLayout"/>
    /// order); returns why they do not fit this layout, or null. Nothing is written unless all fit.
    /// </summary>
    public static string? Read(NetworkLayout layout, byte[] weights, Span<float> parameters)
    {
        var read = new float[layout.ParameterCount];
        if (ReadAll(layout, weights, read) is { } problem)
        {
            return $"the weights do not load: {problem}";
        }

        read.CopyTo(parameters);
        return null;
    }

    private static string? ReadAll(NetworkLayout layout, byte[] weights, float[] read)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(weights), Encoding.UTF8);
            var entries = reader.Read7BitEncodedInt64();
            if (entries != layout.Layers.Count * 2)
            {
                return $"they hold {entries} tensors; a {layout.Format} has {layout.Layers.Count * 2}";
            }

            foreach (var layer in layout.Layers)
            {
                if (ReadEntry(reader, $"{Prefix}{layer.Name}.weight", [layer.Out, layer.In], read.AsSpan(layer.WeightOffset..layer.BiasOffset)) is { } weightProblem)
                {
                    return weightProblem;
                }

                if (ReadEntry(reader, $"{Prefix}{layer.Name}.bias", [layer.Out], read.AsSpan(layer.BiasOffset..layer.End)) is { } biasProblem)
                {
                    return biasProblem;
                }
            }

            if (reader.BaseStream.Position != weights.Length)
            {
                return $"{weights.Length - reader.BaseStream.Position} bytes follow the last tensor";
            }
        }
        catch (Exception e) when (e is EndOfStreamException or FormatException or IOException)
        {
            return $"{e.GetType().Name}: {e.Message}";
        }

        return null;
    }

    private static void Entry(BinaryWriter writer, string name, long[] shape, ReadOnlySpan<float> values)
    {
        writer.Write(name);
        writer.Write7BitEncodedInt64(Float32);
        writer.Write7BitEncodedInt64(shape.Length);
        foreach (var dimension in shape)
        {
            writer.Write7BitEncodedInt64(dimension);
        }

        Span<byte> element = stackalloc byte[sizeof(float)];
        foreach (var value in values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(element, value);
            writer.Write(element);
        }
    }

    private static string? ReadEntry(BinaryReader reader, string name, long[] shape, Span<float> into)
    {
        var found = reader.ReadString();
        if (found != name)
        {
            return $"they hold '{found}' where '{name}' belongs";
        }

        var type = reader.Read7BitEncodedInt64();
        var rank = reader.Read7BitEncodedInt64();
        if (type != Float32 || rank != shape.Length)
        {
            return $"'{name}' is of element type {type} and rank {rank}; float32 ({Float32}) of rank {shape.Length} expected";
        }

        for (var i = 0; i < shape.Length; i++)
        {
            var dimension = reader.Read7BitEncodedInt64();
            if (dimension != shape[i])
            {
                return $"'{name}' has {dimension} in dimension {i}; {shape[i]} expected";
            }
        }

        var bytes = reader.ReadBytes(into.Length * sizeof(float));
        if (bytes.Length != into.Length * sizeof(float))
        {
            return $"'{name}' is cut short";
        }

        for (var i = 0; i < into.Length; i++)
        {
            into[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * sizeof(float)));
        }

        return null;
    }
}
