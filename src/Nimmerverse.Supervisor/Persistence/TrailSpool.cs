using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Nimmerverse.Actors.Governor;
using Nimmerverse.Protocol;

namespace Nimmerverse.Supervisor.Persistence;

/// <summary>
/// A local, durable, bounded spool of decision trails for while PostgreSQL is away: an
/// append-only file of frames (<c>length, CRC-32, record</c>), fsync'd after every append, so a
/// record handed to it survives a crash of the supervisor or the machine. A frame torn by a crash
/// mid-append fails its length or CRC and is cut off when the spool is opened. Replay reads the
/// frames in order; <see cref="Clear"/> empties the file once they are stored.
/// Not thread-safe: one recorder owns it.
/// </summary>
public sealed class TrailSpool : IDisposable
{
    private const int FrameHeader = 8; // length (4) + CRC-32 (4)
    /// <summary>
    /// Frames are written in format 3 (1, a decision's outcome since 2, and its price since 3); frames of the earlier
    /// formats, spooled before an upgrade, are still read, without what they did not carry.
    /// </summary>
    private const int FormatVersion = 3;

    private readonly FileStream _file;

    /// <summary>Opens (or creates) the spool at <paramref name="path"/>, keeping at most <paramref name="maxBytes"/> of frames.</summary>
    public TrailSpool(string path, long maxBytes)
    {
        Path = path;
        MaxBytes = maxBytes;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        _file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.None);
        TornBytesDropped = CutTornTail();
    }

    public string Path { get; }

    public long MaxBytes { get; }

    /// <summary>Bytes of frames waiting.</summary>
    public long Bytes => _file.Length;

    public bool IsEmpty => _file.Length == 0;

    /// <summary>Records waiting (counted when opened and on every append).</summary>
    public long Records { get; private set; }

    /// <summary>Bytes of a frame torn by a crash mid-append, cut off at open (0 normally).</summary>
    public long TornBytesDropped { get; }

    /// <summary>
    /// Appends as many records as fit under <see cref="MaxBytes"/>, in order, and fsyncs; returns how
    /// many were taken (the rest are the caller's to count and report: the spool is full).
    /// </summary>
    public int Append(IReadOnlyList<DecisionTrail> batch)
    {
        _file.Seek(0, SeekOrigin.End);
        var taken = 0;
        var buffer = new MemoryStream();
        foreach (var trail in batch)
        {
            var frame = Frame(trail);
            if (_file.Length + buffer.Length + frame.Length > MaxBytes)
            {
                break;
            }

            buffer.Write(frame);
            taken++;
        }

        if (taken > 0)
        {
            buffer.Position = 0;
            buffer.CopyTo(_file);
            _file.Flush(flushToDisk: true);
            Records += taken;
        }

        return taken;
    }

    /// <summary>Every record waiting, oldest first, in chunks of at most <paramref name="chunk"/>.</summary>
    public IEnumerable<IReadOnlyList<DecisionTrail>> ReadAll(int chunk)
    {
        _file.Seek(0, SeekOrigin.Begin);
        var records = new List<DecisionTrail>(chunk);
        while (ReadFrame() is { } trail)
        {
            records.Add(trail);
            if (records.Count == chunk)
            {
                yield return records;
                records = new List<DecisionTrail>(chunk);
            }
        }

        if (records.Count > 0)
        {
            yield return records;
        }
    }

    /// <summary>Empties the spool (its records are stored), durably.</summary>
    public void Clear()
    {
        _file.SetLength(0);
        _file.Flush(flushToDisk: true);
        Records = 0;
    }

    public void Dispose() => _file.Dispose();

    /// <summary>Walks the frames; cuts the file after the last whole one. Returns the bytes cut.</summary>
    private long CutTornTail()
    {
        _file.Seek(0, SeekOrigin.Begin);
        long good = 0;
        while (ReadFrame() is not null)
        {
            good = _file.Position;
            Records++;
        }

        var torn = _file.Length - good;
        if (torn > 0)
        {
            _file.SetLength(good);
            _file.Flush(flushToDisk: true);
        }

        return torn;
    }

    /// <summary>The next whole frame's record, or null at the end or at a torn frame.</summary>
    private DecisionTrail? ReadFrame()
    {
        Span<byte> header = stackalloc byte[FrameHeader];
        if (_file.ReadAtLeast(header, FrameHeader, throwOnEndOfStream: false) < FrameHeader)
        {
            return null;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length <= 0 || length > _file.Length - _file.Position)
        {
            return null;
        }

        var payload = new byte[length];
        _file.ReadExactly(payload);
        return Crc32.HashToUInt32(payload) == BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) ? Decode(payload) : null;
    }

    private static byte[] Frame(DecisionTrail trail)
    {
        using var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write((byte)FormatVersion);
            writer.Write(trail.MessageId.ToByteArray());
            writer.Write(trail.Epoch);
            writer.Write(trail.NpcId);
            writer.Write(trail.Host);
            writer.Write(trail.Policy);
            writer.Write(trail.DecidedAt.UtcTicks);
            writer.Write(trail.Inputs.Length);
            foreach (var input in trail.Inputs)
            {
                writer.Write(input);
            }

            writer.Write(trail.Output.NpcId);
            writer.Write(trail.Output.TickRateHz);
            writer.Write(trail.Output.CpuQuotaPercent);
            writer.Write(trail.Output.GateOpen);
            writer.Write(trail.Output.LlmPriority);
            writer.Write(trail.Reward);
            writer.Write(trail.LatencyMs);
            writer.Write(trail.Outcome is not null);
            writer.Write(trail.Outcome?.Progress ?? 0);
            writer.Write(trail.Outcome?.Cost ?? 0);
            writer.Write(trail.Price is not null);
            writer.Write(trail.Price ?? 0);
        }

        var bytes = payload.ToArray();
        var frame = new byte[FrameHeader + bytes.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, bytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(4), Crc32.HashToUInt32(bytes));
        bytes.CopyTo(frame, FrameHeader);
        return frame;
    }

    private static DecisionTrail Decode(byte[] payload)
    {
        using var reader = new BinaryReader(new MemoryStream(payload), Encoding.UTF8);
        var version = reader.ReadByte();
        if (version is < 1 or > FormatVersion)
        {
            throw new InvalidDataException($"spool frame of format {version}; this supervisor reads formats 1 to {FormatVersion}");
        }

        var messageId = new Guid(reader.ReadBytes(16));
        var epoch = reader.ReadInt64();
        var npcId = reader.ReadInt32();
        var host = reader.ReadString();
        var policy = reader.ReadString();
        var decidedAt = new DateTimeOffset(reader.ReadInt64(), TimeSpan.Zero);
        var inputs = new float[reader.ReadInt32()];
        for (var i = 0; i < inputs.Length; i++)
        {
            inputs[i] = reader.ReadSingle();
        }

        var output = new NpcAllocation(reader.ReadInt32(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadBoolean(), reader.ReadInt32());
        var (reward, latencyMs) = (reader.ReadDouble(), reader.ReadDouble());
        var outcome = version >= 2 ? Optional(reader, r => new NpcYield(r.ReadDouble(), r.ReadDouble())) : null;
        var price = version >= 3 ? Optional(reader, r => r.ReadDouble()) : null;
        return new DecisionTrail(messageId, epoch, npcId, host, policy, decidedAt, inputs, output, reward, latencyMs, outcome, price);
    }

    /// <summary>A value written after its presence flag, zeros in its place when absent: read either way, so what follows stays aligned.</summary>
    private static T? Optional<T>(BinaryReader reader, Func<BinaryReader, T> read)
        where T : struct
    {
        var present = reader.ReadBoolean();
        var value = read(reader);
        return present ? value : null;
    }
}
