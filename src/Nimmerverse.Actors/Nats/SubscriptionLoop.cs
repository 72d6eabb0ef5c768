using Akka.Actor;
using NATS.Client.Core;
using Nimmerverse.Actors.Logging;
using Nimmerverse.Protocol;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;

namespace Nimmerverse.Actors.Nats;

/// <summary>What a subscription loop needs from its bridge.</summary>
internal sealed record SubscriptionContext(INatsConnection Connection, WireCodec Codec, BridgeCounters Counters, RateLimitedLog RejectionLog, NatsSubOpts SubscriptionOptions, IActorRef Bridge, MessageSource Source);

/// <summary>
/// One subscription: raw bytes from NATS, decoded and checked by its sink, which tells the target
/// actor. Runs outside the actor (Tell is thread-safe) so decoding never blocks a mailbox. Payloads
/// are read from pooled buffers and returned once decoded; what has arrived is taken in runs of up
/// to <see cref="MaxRun"/> before the sink delivers what it holds.
/// </summary>
internal static class SubscriptionLoop
{
    /// <summary>Messages taken from the subscription's buffer before the sink must deliver: bounds a batch and the delay before it goes.</summary>
    internal const int MaxRun = 64;

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Keeps the subscription alive until cancelled. NATS.Net re-subscribes by itself across
    /// reconnects; this outer loop covers what it does not (no server at start, a subscription
    /// torn down by an error), retrying with a capped backoff so a cell is never left deaf.
    /// </summary>
    public static async Task RunAsync(ISubscribe subscribe, Func<WireCodec, IInboundSink> sinkFor, SubscriptionContext context, CancellationToken cancellationToken)
    {
        var sink = sinkFor(subscribe.MaxPayloadBytes is { } max ? new WireCodec(max) : context.Codec);
        var delay = FirstRetryDelay;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await ReceiveAsync(subscribe, sink, context, cancellationToken).ConfigureAwait(false);
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

    private static async Task ReceiveAsync(ISubscribe subscribe, IInboundSink sink, SubscriptionContext context, CancellationToken cancellationToken)
    {
        await using var subscription = await context.Connection
            .SubscribeCoreAsync(subscribe.Pattern.Value, subscribe.QueueGroup, NatsRawSerializer<NatsMemoryOwner<byte>>.Default, context.SubscriptionOptions, cancellationToken)
            .ConfigureAwait(false);
        // The server handles a connection's commands in order: once a PING comes back, the SUB
        // before it is in force, so Subscribed is a promise that the next message arrives.
        await context.Connection.PingAsync(cancellationToken).ConfigureAwait(false);
        subscribe.Target.Tell(new Subscribed(subscribe.Pattern), context.Bridge);

        var messages = subscription.Msgs;
        while (await messages.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            for (var taken = 0; taken < MaxRun && messages.TryRead(out var message); taken++)
            {
                context.Counters.Received();
                Rejection? rejection;
                Guid? refusedId = null;
                using (var data = message.Data)
                {
                    // An empty payload comes as an owner with no buffer behind it.
                    var payload = data.Length == 0 ? ReadOnlySpan<byte>.Empty : data.Span;
                    try
                    {
                        rejection = sink.Take(payload, message.Subject, message.ReplyTo);
                    }
                    catch (Exception e)
                    {
                        // The codec promises not to throw; should it ever break that promise, one message
                        // must still not end a subscription (which would leave its cell deaf).
                        rejection = Rejection.Of(RejectionReason.MalformedJson, $"decoder failure: {e.GetType().Name}: {e.Message}");
                    }

                    if (rejection is not null && message.ReplyTo is not null)
                    {
                        refusedId = WireCodec.MessageIdOf(payload);
                    }
                }

                if (rejection is null)
                {
                    context.Counters.Delivered();
                    continue;
                }

                context.Counters.Rejected(rejection.Reason);
                // Keyed by type and reason, not by subscription: with one subscription per NPC, a
                // flood over dev.npc.*.state would otherwise be logged once per NPC.
                context.RejectionLog.Warning(
                    $"{subscribe.MessageType}:{rejection.Reason}",
                    "Rejected a message on {Subject}: {RejectionReason}: {RejectionDetail}",
                    message.Subject, rejection.Reason, rejection.Detail);
                if (message.ReplyTo is { } replyTo)
                {
                    await AnswerRefusalAsync(context, replyTo, refusedId, rejection, cancellationToken).ConfigureAwait(false);
                }
            }

            sink.Flush();
        }
    }

    /// <summary>A refused request is still answered, with why: its requester need not wait for a timeout.</summary>
    private static async Task AnswerRefusalAsync(SubscriptionContext context, string replyTo, Guid? requestId, Rejection rejection, CancellationToken cancellationToken)
    {
        var reason = System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(rejection.Reason.ToString());
        var refusal = Envelopes.Of(context.Source, new RejectedBody(reason, rejection.Detail), correlationId: requestId);
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
