using Akka.Actor;
using Nimmerverse.Protocol;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;

namespace Nimmerverse.Actors.Nats;

/// <summary>Where one subscription's messages go: decoded, checked and told to its target, at once or held until <see cref="Flush"/>.</summary>
internal interface IInboundSink
{
    /// <summary>Decodes one message and delivers it (or holds it for <see cref="Flush"/>); returns why it was refused, or null.</summary>
    Rejection? Take(ReadOnlySpan<byte> payload, string subject, string? replyTo);

    /// <summary>Delivers what <see cref="Take"/> held.</summary>
    void Flush();
}

/// <summary>Every valid message as an <see cref="Inbound{TBody}"/>, at once.</summary>
internal sealed class EnvelopeSink<TBody>(IActorRef target, WireCodec codec, IActorRef bridge) : IInboundSink
    where TBody : IMessageBody
{
    public Rejection? Take(ReadOnlySpan<byte> payload, string subject, string? replyTo)
    {
        var decoded = codec.Decode<TBody>(payload, subject);
        if (decoded.Envelope is not { } envelope)
        {
            return decoded.Rejection;
        }

        target.Tell(new Inbound<TBody>(subject, envelope, replyTo), bridge);
        return null;
    }

    public void Flush()
    {
    }
}

/// <summary>Valid waves as <see cref="WaveDigest"/>s, held and told in one <see cref="WaveDigests"/> per run of messages.</summary>
internal sealed class WaveDigestSink(IActorRef target, WireCodec codec, IActorRef bridge) : IInboundSink
{
    private readonly WaveReader _reader = new(codec.MaxPayloadBytes);
    private readonly List<WaveDigest> _held = new(SubscriptionLoop.MaxRun);

    public Rejection? Take(ReadOnlySpan<byte> payload, string subject, string? replyTo)
    {
        if (_reader.TryRead(payload, out var digest))
        {
            _held.Add(digest);
            return null;
        }

        // Not the plain shape the reader takes: the full decoder accepts it or says why not.
        var decoded = codec.Decode<WaveBody>(payload, subject);
        if (decoded.Envelope is not { } wave)
        {
            return decoded.Rejection;
        }

        _held.Add(WaveDigest.Of(wave));
        return null;
    }

    public void Flush()
    {
        if (_held.Count > 0)
        {
            target.Tell(new WaveDigests([.. _held]), bridge);
            _held.Clear();
        }
    }
}
