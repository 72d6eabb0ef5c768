using Akka.Actor;
using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Nats;

/// <summary>Messages understood by <see cref="NatsBridgeActor"/>, and what it delivers.</summary>
public static class NatsBridgeMessages
{
    /// <summary>A subscription request; the bridge runs it until it stops.</summary>
    public interface ISubscribe
    {
        SubjectPattern Pattern { get; }

        IActorRef Target { get; }

        /// <summary>NATS queue group: subscribers in one group share the messages (one host answers a request).</summary>
        string? QueueGroup { get; }

        /// <summary>The message type expected on the pattern.</summary>
        string MessageType { get; }

        /// <summary>The bridge's payload limit raised for this subscription only, if set.</summary>
        int? MaxPayloadBytes => null;

        internal Task RunAsync(SubscriptionContext context, CancellationToken cancellationToken);
    }

    /// <summary>
    /// Deliver every valid <typeparamref name="TBody"/> message on <paramref name="Pattern"/> to
    /// <paramref name="Target"/> as an <see cref="Inbound{TBody}"/>; anything else is rejected,
    /// counted and logged (rate-limited), never delivered. <paramref name="MaxPayloadBytes"/>
    /// raises the bridge's payload limit for this subscription only (checkpoints are larger than waves).
    /// </summary>
    public sealed record Subscribe<TBody>(SubjectPattern Pattern, IActorRef Target, string? QueueGroup = null, int? MaxPayloadBytes = null) : ISubscribe
        where TBody : IMessageBody
    {
        public string MessageType => TBody.MessageType;

        Task ISubscribe.RunAsync(SubscriptionContext context, CancellationToken cancellationToken) =>
            SubscriptionLoop.RunAsync(this, codec => new EnvelopeSink<TBody>(Target, codec, context.Bridge), context, cancellationToken);
    }

    /// <summary>
    /// Deliver the valid waves on <paramref name="Pattern"/> to <paramref name="Target"/> as
    /// <see cref="WaveDigests"/>: only what the gates use, read without building the wave
    /// (<see cref="WaveReader"/>), and several at once when they come faster than they are handed
    /// over, so the busiest path of the organism costs one actor message per batch. Refused waves are
    /// counted and logged as for <see cref="Subscribe{TBody}"/>.
    /// </summary>
    public sealed record SubscribeWaveDigests(SubjectPattern Pattern, IActorRef Target) : ISubscribe
    {
        public string? QueueGroup => null;

        public string MessageType => WaveBody.MessageType;

        Task ISubscribe.RunAsync(SubscriptionContext context, CancellationToken cancellationToken) =>
            SubscriptionLoop.RunAsync(this, codec => new WaveDigestSink(Target, codec, context.Bridge), context, cancellationToken);
    }

    /// <summary>Valid waves from one subscription, in the order they came.</summary>
    public sealed record WaveDigests(IReadOnlyList<WaveDigest> Waves);

    /// <summary>A valid message from NATS. <paramref name="ReplyTo"/> is set for a request.</summary>
    public sealed record Inbound<TBody>(string Subject, Envelope<TBody> Envelope, string? ReplyTo)
        where TBody : IMessageBody;

    /// <summary>Sent back to the subscriber once its subscription is live on the server.</summary>
    public sealed record Subscribed(SubjectPattern Pattern);

    /// <summary>An envelope on its way out: the bridge encodes it once, off the sender's thread.</summary>
    public abstract record Outbound<TBody>(Envelope<TBody> Envelope) : IOutbound
        where TBody : IMessageBody
    {
        private protected abstract OutboundKind Kind { get; }

        private protected abstract string Destination { get; }

        OutboundKind IOutbound.Kind => Kind;

        string IOutbound.Destination => Destination;

        Guid IOutbound.MessageId => Envelope.Header.MessageId;

        byte[] IOutbound.Encode(WireCodec codec) => codec.Encode(Envelope);
    }

    /// <summary>Publish an envelope on a subject of this process's environment (core NATS, at most once).</summary>
    public sealed record Publish<TBody>(Subject Subject, Envelope<TBody> Envelope) : Outbound<TBody>(Envelope)
        where TBody : IMessageBody
    {
        private protected override OutboundKind Kind => OutboundKind.Core;

        private protected override string Destination => Subject.Value;
    }

    /// <summary>Answer a request on its reply inbox (which NATS names, so it is not a <see cref="Subject"/>).</summary>
    public sealed record Reply<TBody>(string ReplyTo, Envelope<TBody> Envelope) : Outbound<TBody>(Envelope)
        where TBody : IMessageBody
    {
        private protected override OutboundKind Kind => OutboundKind.Reply;

        private protected override string Destination => ReplyTo;
    }

    /// <summary>
    /// Publish to JetStream, for what must not be lost (gate transitions): acknowledged by the
    /// server and de-duplicated on the header's message id (<c>Nats-Msg-Id</c>).
    /// </summary>
    public sealed record PublishDurable<TBody>(Subject Subject, Envelope<TBody> Envelope) : Outbound<TBody>(Envelope)
        where TBody : IMessageBody
    {
        private protected override OutboundKind Kind => OutboundKind.Durable;

        private protected override string Destination => Subject.Value;
    }

    /// <summary>How an outgoing message travels.</summary>
    public enum OutboundKind
    {
        Core,
        Reply,
        Durable,
    }

    /// <summary>Outgoing messages; the bridge encodes them once, off the sender's thread.</summary>
    public interface IOutbound
    {
        internal OutboundKind Kind { get; }

        internal string Destination { get; }

        internal Guid MessageId { get; }

        internal byte[] Encode(WireCodec codec);
    }

    /// <summary>
    /// Ask another component over NATS (request/reply). The asking actor gets a
    /// <see cref="Response{TResponse}"/> with the decoded, validated answer, or a
    /// <see cref="RequestFailed"/> that says why there is none (nobody listens, no answer in
    /// time, an answer that is not a valid <typeparamref name="TResponse"/>).
    /// </summary>
    public sealed record Request<TRequest, TResponse>(Subject Subject, Envelope<TRequest> Envelope, TimeSpan Timeout) : IRequest
        where TRequest : IMessageBody
        where TResponse : IMessageBody
    {
        Subject IRequest.Subject => Subject;

        Guid IRequest.RequestId => Envelope.Header.MessageId;

        async Task<object> IRequest.SendAsync(NATS.Client.Core.INatsConnection connection, WireCodec codec, CancellationToken cancellationToken)
        {
            var reply = await connection.RequestAsync<byte[], byte[]>(
                Subject.Value, codec.Encode(Envelope), replyOpts: new NATS.Client.Core.NatsSubOpts { Timeout = Timeout }, cancellationToken: cancellationToken).ConfigureAwait(false);
            var decoded = codec.Decode<TResponse>(reply.Data ?? []);
            return decoded.Envelope is { } envelope
                ? new Response<TResponse>(Envelope.Header.MessageId, envelope)
                : new RequestFailed(Envelope.Header.MessageId, $"the answer was rejected: {decoded.Rejection!.Reason}: {decoded.Rejection.Detail}");
        }
    }

    /// <summary>A request the bridge sends on an actor's behalf.</summary>
    public interface IRequest
    {
        internal Subject Subject { get; }

        internal Guid RequestId { get; }

        internal Task<object> SendAsync(NATS.Client.Core.INatsConnection connection, WireCodec codec, CancellationToken cancellationToken);
    }

    /// <summary>The answer to a <see cref="Request{TRequest,TResponse}"/> with id <paramref name="RequestId"/>.</summary>
    public sealed record Response<TResponse>(Guid RequestId, Envelope<TResponse> Envelope)
        where TResponse : IMessageBody;

    /// <summary>Why a <see cref="Request{TRequest,TResponse}"/> with id <paramref name="RequestId"/> has no answer.</summary>
    public sealed record RequestFailed(Guid RequestId, string Reason);

    /// <summary>Ask which subscriptions the bridge runs; answered with <see cref="Subscriptions"/>.</summary>
    public sealed record GetSubscriptions
    {
        public static readonly GetSubscriptions Instance = new();
    }

    /// <summary>Every subscription the bridge runs: the subject pattern, the message type expected on it, and who gets it.</summary>
    public sealed record Subscriptions(IReadOnlyList<(SubjectPattern Pattern, string MessageType, string Target)> All);

    /// <summary>
    /// Published on the actor system's event stream when the process's NATS connection closes or opens
    /// again: while it is closed no message can arrive, so silence then proves nothing about a sender.
    /// </summary>
    public sealed record NatsConnectionChanged(bool Open);

    /// <summary>
    /// On the event stream: NPC <paramref name="NpcId"/>'s brain reported <paramref name="Count"/> more
    /// permission violations (its credentials refused by the server); the bridge counts them.
    /// </summary>
    public sealed record NpcPermissionViolations(int NpcId, long Count);

    /// <summary>Ask for the counters; answered with <see cref="BridgeStats"/>.</summary>
    public sealed record GetStats
    {
        public static readonly GetStats Instance = new();
    }
}
