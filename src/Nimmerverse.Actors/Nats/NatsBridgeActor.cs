using Akka.Actor;
using Akka.Event;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Net;
using Nimmerverse.Actors.Logging;
using Nimmerverse.Protocol;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;

namespace Nimmerverse.Actors.Nats;

/// <summary>
/// The one place where NATS subjects meet actor messages. Incoming: every subscription is a
/// loop that decodes, validates and tells the target a typed <see cref="Inbound{TBody}"/>, or
/// rejects and counts. Outgoing: actors tell it <see cref="Publish{TBody}"/>,
/// <see cref="Reply{TBody}"/> or <see cref="PublishDurable{TBody}"/>. It never touches a subject
/// of another environment, in either direction. Reconnects are NATS.Net's; actors keep running.
/// </summary>
public sealed class NatsBridgeActor : ReceiveActor, IWithTimers
{
    private readonly INatsConnection _connection;
    private readonly NatsBridgeSettings _settings;
    private readonly string _environment;
    private readonly MessageSource _source = new("nats-bridge", "supervisor", Tiers.Cells);
    private readonly BridgeCounters _counters;
    private readonly WireCodec _codec;
    private readonly CancellationTokenSource _stopping = new();
    /// <summary>One subscription per target, pattern, message type and queue group: a restarted actor (the same ref) that subscribes again gets no second one.</summary>
    private readonly Dictionary<(IActorRef Target, string Pattern, string MessageType, string? QueueGroup), (ISubscribe Subscribe, CancellationTokenSource Stop)> _subscriptions = [];
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private RateLimitedLog _problems = null!;
    private INatsJSContext? _jetStream;
    private Akka.Event.EventStream _eventStream = null!;

    private sealed record DurableStreamReady(string Stream, string Subjects);

    private sealed record SetUpStream(string Stream, string Subjects, int Attempt);

    private sealed record DurableStreamFailed(string Stream, string Subjects, Exception Error, int Attempt);

    /// <summary>A JetStream cluster electing its leader (all servers just started) refuses for a while: set up again this often.</summary>
    private static readonly TimeSpan StreamRetryInterval = TimeSpan.FromSeconds(2);

    /// <summary>The retries slow down to one a minute (a server without JetStream stays so).</summary>
    private const int MaxStreamRetryFactor = 30;

    public NatsBridgeActor(INatsConnection connection, NatsBridgeSettings settings, string environment, BridgeCounters counters)
    {
        _connection = connection;
        _settings = settings;
        _environment = environment;
        _counters = counters;
        _codec = new WireCodec(settings.MaxPayloadBytes);

        Receive<ISubscribe>(StartSubscription);
        Receive<IOutbound>(Send);
        Receive<IRequest>(SendRequest);
        Receive<DurableStreamReady>(ready => _log.Info("JetStream stream {Stream} is ready for {Subjects}", ready.Stream, ready.Subjects));
        Receive<DurableStreamFailed>(failed =>
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            var delay = StreamRetryInterval * Math.Min(failed.Attempt, MaxStreamRetryFactor);
            const string Template = "JetStream stream {Stream} could not be set up (attempt {Attempt}): {Error}; durable publishes fail and are counted until it is; trying again in {Delay}";
            if (failed.Attempt == 1)
            {
                _log.Error(Template, failed.Stream, failed.Attempt, failed.Error.Message, delay);
            }
            else
            {
                _log.Warning(Template, failed.Stream, failed.Attempt, failed.Error.Message, delay);
            }

            Timers.StartSingleTimer($"stream:{failed.Stream}", new SetUpStream(failed.Stream, failed.Subjects, failed.Attempt + 1), delay);
        });
        Receive<SetUpStream>(retry => EnsureStream(retry.Stream, retry.Subjects, retry.Attempt));
        Receive<GetStats>(_ => Sender.Tell(_counters.Snapshot()));
        Receive<NpcPermissionViolations>(reported => _counters.PermissionViolations($"npc-{reported.NpcId}", reported.Count));
        Receive<GetSubscriptions>(_ => Sender.Tell(new Subscriptions([.. _subscriptions.Values.Select(s => (s.Subscribe.Pattern, s.Subscribe.MessageType, s.Subscribe.Target.Path.ToString()))])));
        Receive<Terminated>(terminated => EndSubscriptionsOf(terminated.ActorRef));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The bridge of a process of <paramref name="environment"/>: it subscribes and publishes under that environment only.</summary>
    public static Props Props(INatsConnection connection, NatsBridgeSettings settings, string environment, BridgeCounters counters) =>
        Akka.Actor.Props.Create(() => new NatsBridgeActor(connection, settings, environment, counters));

    protected override void PreStart()
    {
        _problems = new RateLimitedLog(_log, _settings.RejectionLogInterval);
        _eventStream = Context.System.EventStream; // the connection's events come on its own threads
        _connection.MessageDropped += OnMessageDropped;
        _connection.ConnectionDisconnected += OnDisconnected;
        _connection.ConnectionOpened += OnOpened;
        _connection.ServerError += OnServerError;
        _eventStream.Subscribe<NpcPermissionViolations>(Self);
        EnsureDurableStream();
    }

    /// <summary>A restarted bridge would forget its subscribers; they are handed to the new instance.</summary>
    protected override void PreRestart(Exception reason, object message)
    {
        foreach (var (subscription, _) in _subscriptions.Values)
        {
            Self.Tell(subscription, subscription.Target);
        }

        base.PreRestart(reason, message);
    }

    protected override void PostStop()
    {
        _connection.MessageDropped -= OnMessageDropped;
        _connection.ConnectionDisconnected -= OnDisconnected;
        _connection.ConnectionOpened -= OnOpened;
        _connection.ServerError -= OnServerError;
        _eventStream.Unsubscribe(Self);
        _stopping.Cancel();
        _stopping.Dispose();
        foreach (var (_, stop) in _subscriptions.Values)
        {
            stop.Dispose();
        }
    }

    private void EndSubscriptionsOf(IActorRef target)
    {
        var ended = _subscriptions.Where(s => s.Key.Target.Equals(target)).ToList();
        foreach (var (key, (_, stop)) in ended)
        {
            stop.Cancel();
            stop.Dispose();
            _subscriptions.Remove(key);
        }

        _log.Info("Ended {Count} subscriptions of {Target}: it stopped", ended.Count, target.Path);
    }

    private void StartSubscription(ISubscribe subscribe)
    {
        if (subscribe.Pattern.Environment != _environment)
        {
            _log.Error("Refused a subscription to {Subject}: this process serves only {Environment}", subscribe.Pattern, _environment);
            return;
        }

        var key = (subscribe.Target, subscribe.Pattern.Value, subscribe.MessageType, subscribe.QueueGroup);
        if (_subscriptions.ContainsKey(key))
        {
            _log.Debug("{Target} is subscribed to {Subject} already (a restart subscribes again); keeping the one subscription", subscribe.Target.Path, subscribe.Pattern);
            subscribe.Target.Tell(new Subscribed(subscribe.Pattern), Self);
            return;
        }

        if (!_subscriptions.Keys.Any(k => k.Target.Equals(subscribe.Target)))
        {
            Context.Watch(subscribe.Target); // its subscriptions end with it
        }

        var stop = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        _subscriptions[key] = (subscribe, stop);
        var options = new NatsSubOpts
        {
            ChannelOpts = new NatsSubChannelOpts { Capacity = _settings.SubscriptionBuffer, FullMode = System.Threading.Channels.BoundedChannelFullMode.DropNewest },
        };
        var context = new SubscriptionContext(_connection, _codec, _counters, _problems, options, Self, _source);
        // Runs until its target or the bridge stops; it retries on its own, so its task is not awaited here.
        _ = subscribe.RunAsync(context, stop.Token);
        _log.Info("Subscribing {Target} to {Subject} ({MessageType})", subscribe.Target.Path, subscribe.Pattern, subscribe.MessageType);
    }

    private void Send(IOutbound outbound)
    {
        var destination = outbound.Destination;
        if (outbound.Kind != OutboundKind.Reply && !destination.StartsWith(_environment + ".", StringComparison.Ordinal))
        {
            _log.Error("Refused to publish on {Subject}: this process serves only {Environment}", destination, _environment);
            return;
        }

        var payload = outbound.Encode(_codec);
        if (outbound.Kind == OutboundKind.Durable)
        {
            PublishDurable(destination, payload, outbound.MessageId);
            return;
        }

        // Replies go to inboxes, each a subject of its own: their failures are reported under one key, or a
        // stalled connection would log a line per request it could not answer.
        Track(_connection.PublishAsync(destination, payload, cancellationToken: _stopping.Token), destination, outbound.Kind == OutboundKind.Reply ? "publish:replies" : $"publish:{destination}");
    }

    private void Track(ValueTask publish, string subject, string problemKey)
    {
        if (publish.IsCompletedSuccessfully)
        {
            _counters.Published();
            return;
        }

        var counters = _counters;
        var problems = _problems;
        publish.AsTask().ContinueWith(
            t =>
            {
                if (t.IsCompletedSuccessfully)
                {
                    counters.Published();
                    return;
                }

                counters.Dropped(DropReason.PublishFailed);
                problems.Warning(problemKey, "A publish on {Subject} failed: {Error}", subject, t.Exception?.GetBaseException().Message ?? "cancelled");
            },
            TaskScheduler.Default);
    }

    private void SendRequest(IRequest request)
    {
        if (request.Subject.Environment != _environment)
        {
            Sender.Tell(new RequestFailed(request.RequestId, $"{request.Subject} is not a subject of {_environment}"));
            return;
        }

        var requestId = request.RequestId;
        var subject = request.Subject;
        request.SendAsync(_connection, _codec, _stopping.Token).ContinueWith(
            t => t.IsCompletedSuccessfully ? t.Result : new RequestFailed(requestId, t.Exception?.GetBaseException() switch
            {
                NatsNoRespondersException => $"nobody listens on {subject}",
                NatsNoReplyException => $"no answer on {subject} in time",
                { } e => e.Message,
                null => "cancelled",
            }),
            TaskScheduler.Default).PipeTo(Sender);
    }

    /// <summary>Attempts at a durable publish before it counts as dropped; JetStream de-duplicates the retries on the message id.</summary>
    private const int DurableAttempts = 4;

    private static readonly TimeSpan FirstDurableRetryDelay = TimeSpan.FromMilliseconds(250);

    private void PublishDurable(string subject, byte[] payload, Guid messageId)
    {
        if (_jetStream is null)
        {
            _counters.Dropped(DropReason.DurablePublishFailed);
            _problems.Warning("durable:not-ready", "A durable publish on {Subject} was dropped: JetStream is not ready", subject);
            return;
        }

        // Not tied to the actor's lifetime: a transition published just before a graceful stop must
        // still reach JetStream (each attempt is bounded by JetStream's own request timeout).
        _ = PublishDurableAsync(_jetStream, subject, payload, messageId.ToString(), _counters, _problems, CancellationToken.None);
    }

    /// <summary>
    /// What must last is retried (an ack can time out under load or across a reconnect) and only
    /// then counted as dropped; the same Nats-Msg-Id makes every retry safe.
    /// </summary>
    private static async Task PublishDurableAsync(INatsJSContext jetStream, string subject, byte[] payload, string messageId, BridgeCounters counters, RateLimitedLog problems, CancellationToken cancellationToken)
    {
        var delay = FirstDurableRetryDelay;
        string? problem = null;
        for (var attempt = 1; attempt <= DurableAttempts && !cancellationToken.IsCancellationRequested; attempt++)
        {
            try
            {
                var ack = await jetStream.PublishAsync(subject, payload, opts: new NatsJSPubOpts { MsgId = messageId }, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (ack.Error is null)
                {
                    counters.DurablePublished(ack.Duplicate);
                    return;
                }

                problem = ack.Error.Description;
            }
            catch (Exception e) when (e is NatsException or TimeoutException or OperationCanceledException)
            {
                problem = e.Message;
            }

            if (attempt < DurableAttempts)
            {
                await Task.Delay(delay, CancellationToken.None).ConfigureAwait(false);
                delay *= 2;
            }
        }

        counters.Dropped(DropReason.DurablePublishFailed);
        problems.Warning($"durable:{subject}", "A durable publish on {Subject} failed after {Attempts} attempts: {Error}", subject, DurableAttempts, problem ?? "cancelled");
    }

    private void EnsureDurableStream()
    {
        _jetStream = _connection.CreateJetStreamContext();
        foreach (var (name, subjects) in NatsBridgeSettings.DurableStreams(_environment))
        {
            EnsureStream(name, subjects, 1);
        }
    }

    private void EnsureStream(string name, string subjects, int attempt)
    {
        var config = new StreamConfig(name, [subjects])
        {
            DuplicateWindow = _settings.GateStreamDuplicateWindow,
            MaxAge = _settings.GateStreamMaxAge,
            Storage = StreamConfigStorage.File,
            NumReplicas = _settings.StreamReplicas,
        };
        _jetStream!.CreateOrUpdateStreamAsync(config, _stopping.Token).AsTask().ContinueWith<object>(
            t => t.IsCompletedSuccessfully ? new DurableStreamReady(name, subjects) : new DurableStreamFailed(name, subjects, t.Exception!.GetBaseException(), attempt),
            TaskScheduler.Default).PipeTo(Self);
    }

    private ValueTask OnMessageDropped(object? sender, NatsMessageDroppedEventArgs args)
    {
        _counters.Dropped(DropReason.SubscriptionBufferFull);
        _problems.Warning($"dropped:{args.Subscription.Subject}", "Dropped a message on {Subject}: the subscription buffer of {Capacity} is full (the bridge is behind)", args.Subject, _settings.SubscriptionBuffer);
        return ValueTask.CompletedTask;
    }

    private ValueTask OnDisconnected(object? sender, NatsEventArgs args)
    {
        _counters.Disconnected();
        _eventStream.Publish(new NatsConnectionChanged(false));
        _log.Warning("NATS connection lost ({Reason}); reconnecting, actors keep running", args.Message);
        return ValueTask.CompletedTask;
    }

    /// <summary>The server's <c>-ERR</c>: a refused publish or subscription is counted and logged (at most once a minute per kind).</summary>
    private ValueTask OnServerError(object? sender, NatsServerErrorEventArgs error)
    {
        if (error.Kind == NatsServerErrorKind.PermissionsViolation)
        {
            _counters.PermissionViolations("supervisor", 1);
        }

        _problems.Warning($"server-error:{error.Kind}", "The NATS server answered with an error: {Error}", error.Error);
        return ValueTask.CompletedTask;
    }

    private ValueTask OnOpened(object? sender, NatsEventArgs args)
    {
        _counters.Reconnected();
        _eventStream.Publish(new NatsConnectionChanged(true));
        _log.Info("NATS connection open ({Reason})", args.Message);
        return ValueTask.CompletedTask;
    }
}
