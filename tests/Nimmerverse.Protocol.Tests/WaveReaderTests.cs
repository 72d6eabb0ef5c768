using System.Text;
using System.Text.Json;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Fuzz;

namespace Nimmerverse.Protocol.Tests;

[Category(TestTier.Unit)]
public sealed class WaveReaderTests
{
    private static readonly MessageSource Cell = new("math-1", "cell", 2);

    private static byte[] Encoded(string domain, double confidence, string content = """{"operation": "add", "result": 5, "path": [1, 2.5, "x"]}""") =>
        WireCodec.Default.Encode(Envelopes.Of(Cell, new WaveBody(domain, confidence, JsonDocument.Parse(content).RootElement, 0.3)));

    [Test]
    public void A_wave_as_the_encoder_writes_it_is_read_into_what_the_full_decoder_gives()
    {
        var payload = Encoded("math", 0.8);
        Assert.That(new WaveReader().TryRead(payload, out var digest), Is.True);
        Assert.That(digest, Is.EqualTo(WaveDigest.Of(WireCodec.Default.Decode<WaveBody>(payload).Envelope!)));
        Assert.That(digest.SourceTier, Is.EqualTo(2));
    }

    [Test]
    public void Reading_a_wave_of_a_known_domain_allocates_nothing()
    {
        var reader = new WaveReader();
        var payload = Encoded("vision", 0.4, """{"label": "a + b", "boxes": [[1, 2, 3, 4]], "seen": true, "note": null}""");
        Assert.That(reader.TryRead(payload, out var first), Is.True, "escaped text (the encoder writes + as \\u002B) is read too");

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            reader.TryRead(payload, out _);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
        reader.TryRead(payload, out var again);
        Assert.That(again.Domain, Is.SameAs(first.Domain), "a domain seen before is the same string");
    }

    [Test]
    public void A_refused_wave_takes_no_place_among_the_known_domains()
    {
        var reader = new WaveReader();
        // More refused waves (a confidence out of range) with domains of their own than the table holds.
        for (var i = 0; i <= WaveReader.MaxInternedDomains; i++)
        {
            Assert.That(reader.TryRead(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Encoded($"junk{i}", 0.5)).Replace("\"confidence\":0.5", "\"confidence\":5", StringComparison.Ordinal)), out _), Is.False);
        }

        var payload = Encoded("fresh", 0.5);
        Assert.That(reader.TryRead(payload, out var first), Is.True);
        Assert.That(reader.TryRead(payload, out var again), Is.True);
        Assert.That(again.Domain, Is.SameAs(first.Domain), "a real domain still finds room");
    }

    /// <summary>
    /// Hostile payloads from the fuzzer (wrong types, control characters, lone surrogates, extreme
    /// numbers, huge arrays, deep nesting, missing and unknown fields, broken headers) and random byte
    /// flips of a valid wave: whatever the reader takes, the full decoder takes too, with the same values.
    /// </summary>
    [Test]
    public void The_reader_takes_nothing_the_full_decoder_refuses()
    {
        var reader = new WaveReader();
        var hostile = new HostileEnvelopes(seed: 7, population: 10);
        var random = new Random(7);
        var valid = Encoded("math", 0.8);
        var payloads = Enumerable.Range(0, 3000).Select(_ => hostile.Next(new FuzzTarget("dev.nervous.cells.math.wave", "wave")).Payload)
            .Concat(Enumerable.Range(0, 20000).Select(_ => Flipped(valid, random)));
        var (read, decoded, refused) = (0, 0, 0);
        foreach (var payload in payloads)
        {
            var full = WireCodec.Default.Decode<WaveBody>(payload);
            if (reader.TryRead(payload, out var digest))
            {
                read++;
                Assert.That(full.Envelope, Is.Not.Null, () => $"the reader took what the decoder refused ({full.Rejection}): {Encoding.UTF8.GetString(payload)}");
                Assert.That(digest, Is.EqualTo(WaveDigest.Of(full.Envelope!)), () => Encoding.UTF8.GetString(payload));
            }
            else if (full.IsValid)
            {
                decoded++;
            }
            else
            {
                refused++;
            }
        }

        TestContext.Out.WriteLine($"read {read}, left to the decoder and valid {decoded}, refused {refused}");
        Assert.That(read, Is.GreaterThan(1000), "the corpus holds waves the reader takes");
        Assert.That(refused, Is.GreaterThan(1000), "and waves the decoder refuses");
    }

    /// <summary>Valid, but not the plain shape: the reader leaves them to the full decoder, which takes them.</summary>
    [TestCase("""{"header": {"message_id": "ID", "message_type": "wave", "version": 1, "timestamp": "2026-12-03T10:00:00Z", "source": {"entity_id": "c", "entity_type": "cell", "tier": 1}, "correlation_id": "ID"}, "body": {"domain": "math", "confidence": 0.5, "content": {}, "lifeforce_cost": 0}}""", TestName = "a correlation id")]
    [TestCase("""{"header": {"message_id": "ID", "message_type": "wave", "version": 1, "timestamp": "2026-12-03T10:00:00Z", "source": {"entity_id": "c", "entity_type": "cell", "tier": 1}}, "body": {"domain": "math", "confidence": 0.5, "content": {}, "lifeforce_cost": 0, "extra": 1}}""", TestName = "a field this version does not know")]
    [TestCase("""{"header": {"message_id": "ID", "message_type": "wave", "version": 1, "timestamp": "2026-12-03T10:00:00Z", "source": {"entity_id": "c", "entity_type": "cell", "tier": 1}}, "body": {"domain": "math", "domain": "maths", "confidence": 0.5, "content": {}, "lifeforce_cost": 0}}""", TestName = "a field twice")]
    public void An_unusual_but_valid_wave_is_left_to_the_full_decoder(string json)
    {
        var payload = Encoding.UTF8.GetBytes(json.Replace("ID", Guid.NewGuid().ToString(), StringComparison.Ordinal));
        Assert.That(new WaveReader().TryRead(payload, out _), Is.False);
        Assert.That(WireCodec.Default.Decode<WaveBody>(payload).IsValid, Is.True);
    }

    /// <summary>Text the JSON may carry raw but the protocol refuses: the reader refuses it too.</summary>
    [TestCase("\u007F", TestName = "DEL in the domain")]
    [TestCase("\u0085", TestName = "a C1 control in the domain")]
    [TestCase("\u00A0\u2003", TestName = "a domain of non-ASCII blanks")]
    public void Raw_text_the_protocol_refuses_is_not_read(string domain)
    {
        var payload = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Encoded("placeholder", 0.5)).Replace("placeholder", domain, StringComparison.Ordinal));
        Assert.That(new WaveReader().TryRead(payload, out _), Is.False);
        Assert.That(WireCodec.Default.Decode<WaveBody>(payload).Rejection?.Reason, Is.EqualTo(RejectionReason.InvalidBody));
    }

    private static byte[] Flipped(byte[] valid, Random random)
    {
        var payload = (byte[])valid.Clone();
        for (var flips = random.Next(1, 3); flips > 0; flips--)
        {
            var at = random.Next(payload.Length);
            payload[at] = random.Next(4) switch
            {
                0 => (byte)random.Next(256),
                1 => (byte)"0123456789-.eE\"{}[],:"[random.Next(21)],
                2 => (byte)(payload[at] ^ (1 << random.Next(8))),
                _ => (byte)"\u007f\u0085 ab\\"[random.Next(6)],
            };
        }

        return payload;
    }
}
