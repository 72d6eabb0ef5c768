using System.Buffers.Binary;

namespace Nimmerverse.Organs.Media;

/// <summary>Mono 16-bit PCM audio at a sample rate: what the speech organs take and give, as RIFF WAVE.</summary>
public sealed class WaveAudio(short[] samples, int sampleRate)
{
    public short[] Samples { get; } = samples;

    public int SampleRate { get; } = sampleRate;

    public TimeSpan Duration => TimeSpan.FromSeconds((double)Samples.Length / SampleRate);

    /// <summary>
    /// Reads a RIFF WAVE file of 16-bit PCM, mono or multi-channel (mixed down). Anything else is
    /// refused with an <see cref="InvalidDataException"/> that says what is wrong.
    /// </summary>
    public static WaveAudio Parse(ReadOnlySpan<byte> file)
    {
        if (file.Length < 12 || !file[..4].SequenceEqual("RIFF"u8) || !file[8..12].SequenceEqual("WAVE"u8))
        {
            throw new InvalidDataException("not a RIFF WAVE file");
        }

        (int Channels, int Rate)? format = null;
        var at = 12;
        while (at + 8 <= file.Length)
        {
            var id = file.Slice(at, 4);
            var size = BinaryPrimitives.ReadInt32LittleEndian(file.Slice(at + 4, 4));
            var body = at + 8;
            if (size < 0 || body + size > file.Length)
            {
                // Streams written before their length was known leave 0 or a too-large data size: take what is there.
                if (!id.SequenceEqual("data"u8))
                {
                    throw new InvalidDataException("a WAVE chunk runs past the end of the file");
                }

                size = file.Length - body;
            }

            if (id.SequenceEqual("fmt "u8))
            {
                format = ReadFormat(file.Slice(body, size));
            }
            else if (id.SequenceEqual("data"u8))
            {
                var (channels, rate) = format ?? throw new InvalidDataException("the WAVE data comes before its format");
                return new WaveAudio(Mix(file.Slice(body, size - (size % (2 * channels))), channels), rate);
            }

            at = body + size + (size & 1);
        }

        throw new InvalidDataException("the WAVE file has no data chunk");
    }

    /// <summary>The audio as a RIFF WAVE file.</summary>
    public byte[] ToWave()
    {
        var data = Samples.Length * 2;
        var file = new byte[44 + data];
        var span = file.AsSpan();
        "RIFF"u8.CopyTo(span);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], 36 + data);
        "WAVEfmt "u8.CopyTo(span[8..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], 16);
        BinaryPrimitives.WriteInt16LittleEndian(span[20..], 1); // PCM
        BinaryPrimitives.WriteInt16LittleEndian(span[22..], 1); // mono
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], SampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(span[28..], SampleRate * 2);
        BinaryPrimitives.WriteInt16LittleEndian(span[32..], 2);
        BinaryPrimitives.WriteInt16LittleEndian(span[34..], 16);
        "data"u8.CopyTo(span[36..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[40..], data);
        for (var i = 0; i < Samples.Length; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(span[(44 + (2 * i))..], Samples[i]);
        }

        return file;
    }

    /// <summary>
    /// The audio at another rate. Linear interpolation after a moving-average low-pass when the
    /// rate drops: enough for speech into a 16 kHz recogniser, which hears nothing above 8 kHz.
    /// </summary>
    public WaveAudio Resampled(int rate)
    {
        if (rate == SampleRate || Samples.Length == 0)
        {
            return this;
        }

        var source = Samples;
        var taps = (int)Math.Ceiling((double)SampleRate / rate);
        if (taps > 1)
        {
            source = new short[Samples.Length];
            long sum = 0;
            for (var i = 0; i < Samples.Length; i++)
            {
                sum += Samples[i] - (i >= taps ? Samples[i - taps] : 0);
                source[i] = (short)(sum / Math.Min(i + 1, taps));
            }
        }

        var count = (int)((long)Samples.Length * rate / SampleRate);
        var output = new short[count];
        var step = (double)SampleRate / rate;
        for (var i = 0; i < count; i++)
        {
            var position = i * step;
            var left = (int)position;
            var right = Math.Min(left + 1, source.Length - 1);
            var fraction = position - left;
            output[i] = (short)Math.Round((source[left] * (1 - fraction)) + (source[right] * fraction));
        }

        return new WaveAudio(output, rate);
    }

    /// <summary>The audio with <paramref name="padding"/> of silence before and after (a recogniser needs room at the edges).</summary>
    public WaveAudio Padded(TimeSpan padding)
    {
        var pad = (int)(padding.TotalSeconds * SampleRate);
        var output = new short[Samples.Length + (2 * pad)];
        Samples.CopyTo(output, pad);
        return new WaveAudio(output, SampleRate);
    }

    private static (int Channels, int Rate) ReadFormat(ReadOnlySpan<byte> chunk)
    {
        if (chunk.Length < 16)
        {
            throw new InvalidDataException("the WAVE format chunk is too short");
        }

        var encoding = BinaryPrimitives.ReadInt16LittleEndian(chunk);
        var channels = BinaryPrimitives.ReadInt16LittleEndian(chunk[2..]);
        var rate = BinaryPrimitives.ReadInt32LittleEndian(chunk[4..]);
        var bits = BinaryPrimitives.ReadInt16LittleEndian(chunk[14..]);
        const short Pcm = 1, Extensible = -2; // WAVE_FORMAT_EXTENSIBLE is 0xFFFE
        if ((encoding != Pcm && encoding != Extensible) || bits != 16)
        {
            throw new InvalidDataException($"only 16-bit PCM WAVE is taken (this one: format {encoding & 0xFFFF}, {bits} bits)");
        }

        if (channels is < 1 or > 8 || rate is < 4000 or > 192000)
        {
            throw new InvalidDataException($"implausible WAVE format: {channels} channels at {rate} Hz");
        }

        return (channels, rate);
    }

    private static short[] Mix(ReadOnlySpan<byte> data, int channels)
    {
        var frames = data.Length / (2 * channels);
        var samples = new short[frames];
        for (var f = 0; f < frames; f++)
        {
            var sum = 0;
            for (var c = 0; c < channels; c++)
            {
                sum += BinaryPrimitives.ReadInt16LittleEndian(data[(2 * ((f * channels) + c))..]);
            }

            samples[f] = (short)(sum / channels);
        }

        return samples;
    }
}
