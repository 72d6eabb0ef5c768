using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Nimmerverse.Supervisor.Persistence;
using Nimmerverse.Testing;

namespace Nimmerverse.Supervisor.Tests.Persistence;

/// <summary>The durable spool on a real file: order, restarts, torn frames, its bound.</summary>
[Category(TestTier.Unit)]
public sealed class TrailSpoolTests
{
    private string _path = null!;

    [SetUp]
    public void Place() => _path = Path.Combine(Path.GetTempPath(), $"nv-spool-{Guid.NewGuid():N}", "trails.spool");

    [TearDown]
    public void Remove() => Directory.Delete(Path.GetDirectoryName(_path)!, recursive: true);

    [Test]
    public void Records_come_back_in_order_with_every_field_after_a_reopen()
    {
        var batch = Trails.Many(120);
        using (var spool = new TrailSpool(_path, 1 << 20))
        {
            Assert.That(spool.Append(batch.Take(70).ToList()), Is.EqualTo(70));
            Assert.That(spool.Append(batch.Skip(70).ToList()), Is.EqualTo(50));
        }

        using var reopened = new TrailSpool(_path, 1 << 20);
        var read = reopened.ReadAll(50).ToList();

        Assert.That(reopened.Records, Is.EqualTo(120));
        Assert.That(read.Select(c => c.Count), Is.EqualTo(new[] { 50, 50, 20 }));
        var all = read.SelectMany(c => c).ToList();
        Assert.That(all.Zip(batch).All(pair => pair.First.SameAs(pair.Second)), Is.True);
    }

    [Test]
    public void A_frame_spooled_by_a_supervisor_before_outcomes_and_prices_were_recorded_is_read_without_them()
    {
        // Format 1, as the spool wrote it before decision trails carried their outcome.
        var old = Trails.One(4, 6);
        using var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write((byte)1);
            writer.Write(old.MessageId.ToByteArray());
            writer.Write(old.Epoch);
            writer.Write(old.NpcId);
            writer.Write(old.Host);
            writer.Write(old.Policy);
            writer.Write(old.DecidedAt.UtcTicks);
            writer.Write(old.Inputs.Length);
            Array.ForEach(old.Inputs, writer.Write);
            writer.Write(old.Output.NpcId);
            writer.Write(old.Output.TickRateHz);
            writer.Write(old.Output.CpuQuotaPercent);
            writer.Write(old.Output.GateOpen);
            writer.Write(old.Output.LlmPriority);
            writer.Write(old.Reward);
            writer.Write(old.LatencyMs);
        }

        var bytes = payload.ToArray();
        var frame = new byte[8 + bytes.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, bytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(4), Crc32.HashToUInt32(bytes));
        bytes.CopyTo(frame, 8);
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        File.WriteAllBytes(_path, frame);

        using var spool = new TrailSpool(_path, 1 << 20);
        var read = spool.ReadAll(10).SelectMany(c => c).Single();
        Assert.That(read.SameAs(old with { Outcome = null, Price = null }), Is.True, $"{read}");
    }

    [Test]
    public void A_frame_torn_by_a_crash_is_cut_off_and_the_whole_ones_are_kept()
    {
        using (var spool = new TrailSpool(_path, 1 << 20))
        {
            spool.Append(Trails.Many(10));
        }

        var whole = new FileInfo(_path).Length;
        using (var file = new FileStream(_path, FileMode.Append))
        {
            file.Write([200, 0, 0, 0, 1, 2, 3, 4, 5, 6]); // a header promising 200 bytes, and 2 of them
        }

        using var reopened = new TrailSpool(_path, 1 << 20);

        Assert.That(reopened.TornBytesDropped, Is.EqualTo(10));
        Assert.That(reopened.Bytes, Is.EqualTo(whole));
        Assert.That(reopened.ReadAll(100).SelectMany(c => c).Count(), Is.EqualTo(10));
    }

    /// <summary>Bytes of one record's frame (the test records are all the same size).</summary>
    private long FrameBytes()
    {
        var path = _path + ".one";
        using var one = new TrailSpool(path, 1 << 20);
        one.Append(Trails.Many(1));
        var bytes = one.Bytes;
        one.Clear();
        return bytes;
    }

    [TestCase(9, 9, TestName = "A corrupted last frame is dropped and the nine before it are kept")]
    [TestCase(4, 4, TestName = "A corrupted middle frame ends the readable records there, the four before it kept")]
    [TestCase(0, 0, TestName = "A corrupted first frame leaves nothing readable")]
    public void A_corrupted_frame_ends_the_readable_records_there(int damagedFrame, int readable)
    {
        var frame = FrameBytes();
        using (var spool = new TrailSpool(_path, 1 << 20))
        {
            spool.Append(Trails.Many(10));
        }

        var bytes = File.ReadAllBytes(_path);
        Assert.That(bytes, Has.Length.EqualTo(10 * frame), "ten frames of equal size");
        bytes[(damagedFrame * frame) + (frame / 2)] ^= 0xFF; // inside that frame's record
        File.WriteAllBytes(_path, bytes);

        using var reopened = new TrailSpool(_path, 1 << 20);

        Assert.That(reopened.Records, Is.EqualTo(readable), "the damaged frame fails its CRC");
        Assert.That(reopened.ReadAll(100).SelectMany(c => c).Select(t => t.NpcId), Is.EqualTo(Enumerable.Range(0, readable)));
    }

    [Test]
    public void A_full_spool_takes_exactly_the_frames_that_fit_and_says_how_many()
    {
        var frame = FrameBytes();
        const int maxBytes = 1000;
        using var spool = new TrailSpool(_path, maxBytes);

        var taken = spool.Append(Trails.Many(100));

        Assert.That(taken, Is.EqualTo(maxBytes / frame), $"{frame}-byte frames under {maxBytes} bytes");
        Assert.That(spool.Bytes, Is.EqualTo(taken * frame));
        Assert.That(spool.Append(Trails.Many(5)), Is.Zero);
        spool.Clear();
        Assert.That((spool.IsEmpty, spool.Records), Is.EqualTo((true, 0L)));
        Assert.That(spool.Append(Trails.Many(1)), Is.EqualTo(1));
    }
}
