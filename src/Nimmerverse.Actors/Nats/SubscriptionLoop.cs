using Akka.Actor;
using NATS.Client.Core;
using Nimmerverse.Actors.Logging;
using Nimmerverse.Protocol;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;

namespace Nimmerverse.Actors.Nats;

/// <summary>What a subscription loop needs from its bridge.</summary>
internal sealed record SubscriptionContext(INatsConnection Connection, WireCodec Codec, BridgeCounters Counters, RateLimitedLog RejectionLog, NatsSubOpts SubscriptionOptions, IActorRef Bridge, MessageSource Source);

/// <summary>
/// One subscription: raw bytes from NATS, decoded and checked, then told to the target actor.
/// Runs outside the actor (Tell is thread-safe) so decoding never blocks a mailbox.
/// </summary>
internal static class SubscriptionLoop
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Keeps the subscription alive until cancelled. NATS.Net re-subscribes by itself across
    /// reconnects; this outer loop covers what it does not (no server at start, a subscription
    /// torn down by an error), retrying with a capped backoff so a cell is never left deaf.
    /// </summary>
    public static async Task RunAsync<TBody>(Subscribe<TBody> subscribe, SubscriptionContext context, CancellationToken cancellationToken)
        where TBody : IMessageBody
    {
        var delay = FirstRetryDelay;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await ReceiveAsync(subscribe, context, cancellationToken).ConfigureAwait(false);
                delay = FirstRetryDelay;
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                context.RejectionLog.Warning($"{subscribe.Pattern}:subscription", "The subscription to {Subject} failed ({Error}); retrying in {RetryDelay}", subscribe.Pattern, e.Message, delay);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    private static async Task ReceiveAsync<TBody>(Subscribe<TBody> subscribe, SubscriptionContext context, CancellationToken cancellationToken)
        where TBody : IMessageBody
    {
        await using var subscription = await context.Connection
            .SubscribeCoreAsync(subscribe.Pattern.Value, subscribe.QueueGroup, NatsRawSerializer<byte[]>.Default, context.SubscriptionOptions, cancellationToken)
            .ConfigureAwait(false);
        // The server handles a connection's commands in order: once a PING comes back, the SUB
        // before it is in force, so Subscribed is a promise that the next message arrives.
        await context.Connection.PingAsync(cancellationToken).ConfigureAwait(false);
        subscribe.Target.Tell(new Subscribed(subscribe.Pattern), context.Bridge);

        var codec = subscribe.MaxPayloadBytes is { } max ? new WireCodec(max) : context.Codec;
        await foreach (var message in subscription.Msgs.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            context.Counters.Received();
            Decoded<TBody> decoded;
            try
            {
                decoded = codec.Decode<TBody>(message.Data ?? [], message.Subject);
            }
            catch (Exception e)
            {
                // The codec promises not to throw; should it ever break that promise, one message
                // must still not end a subscription (which would leave its cell deaf).
                decoded = new Decoded<TBody>(null, Rejection.Of(RejectionReason.MalformedJson, $"decoder failure: {e.GetType().Name}: {e.Message}"));
            }

            if (decoded.Envelope is { } envelope)
            {
                context.Counters.Delivered();
                subscribe.Target.Tell(new Inbound<TBody>(message.Subject, envelope, message.ReplyTo), context.Bridge);
                continue;
            }

            var rejection = decoded.Rejection!;
            context.Counters.Rejected(rejection.Reason);
            // Keyed by type and reason, not by subscription: with one subscription per NPC, a
            // flood over dev.npc.*.state would otherwise be logged once per NPC.
            context.RejectionLog.Warning(
                $"{subscribe.MessageType}:{rejection.Reason}",
                "Rejected a message on {Subject}: {RejectionReason}: {RejectionDetail}",
                message.Subject, rejection.Reason, rejection.Detail);
            if (message.ReplyTo is { } replyTo)
            {
                await AnswerRefusalAsync(context, replyTo, message.Data ?? [], rejection, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A refused request is still answered, with why: its requester need not wait for a timeout.</summary>
    private static async Task AnswerRefusalAsync(SubscriptionContext context, string replyTo, byte[] request, Rejection rejection, CancellationToken cancellationToken)
    {
        var reason = System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(rejection.Reason.ToString());
        var refusal = Envelopes.Of(context.Source, new RejectedBody(reason, rejection.Detail), correlationId: WireCodec.MessageIdOf(request));
        try
        {
            await context.Connection.PublishAsync(replyTo, context.Codec.Encode(refusal), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NatsException or ArgumentException)
        {
            context.RejectionLog.Warning($"reply:{e.GetType().Name}", "Could not answer a refused request on {ReplyTo}: {Error}", replyTo, e.Message);
        }
    }
}
