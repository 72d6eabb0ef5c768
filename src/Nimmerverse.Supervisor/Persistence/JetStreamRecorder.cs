using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Net;
using Nimmerverse.Actors.Logging;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Lifecycle;

namespace Nimmerverse.Supervisor.Persistence;

/// <summary>A store of one kind of durable message: each message id once, however often written.</summary>
public interface IEnvelopeStore<TBody>
    where TBody : IMessageBody
{
    /// <summary>The table, as <c>dead_letters</c> names the path.</summary>
    string Path { get; }

    /// <returns>How many were new.</returns>
    Task<int> WriteAsync(IReadOnlyList<Envelope<TBody>> batch, CancellationToken cancellationToken);
}

/// <summary>Where one kind of durable message is read from and how it is stored.</summary>
/// <param name="StreamName">The JetStream stream the NATS bridge publishes them to.</param>
/// <param name="ConsumerName">The durable consumer; every recorder in the cluster shares it, so each message is handed to one of them.</param>
/// <param name="What">What the messages are, in log lines ("gate transitions").</param>
/// <param name="StatusLabel">Its part of the STATUS line ("gates").</param>
/// <param name="BatchSize">Most messages per fetch and per write.</param>
/// <param name="RetryInterval">How long to wait after a failed write or fetch before trying again.</param>
public sealed record JetStreamRecorderSettings(string StreamName, string ConsumerName, string What, string StatusLabel, int BatchSize = 500, TimeSpan? RetryInterval = null)
{
    public TimeSpan Retry => RetryInterval ?? TimeSpan.FromSeconds(2);

    /// <summary>Gate transitions (the thalamus's gates and the governor's LLM gates) into <c>gate_transitions</c>.</summary>
    public static JetStreamRecorderSettings Gates(string streamName, int batchSize = 500, TimeSpan? retryInterval = null) =>
        new(streamName, "gate-transitions-recorder", "gate transitions", "gates", batchSize, retryInterval);

    /// <summary>The cortex gateway's trails into <c>cortex_trails</c>.</summary>
    public static JetStreamRecorderSettings CortexTrails(string streamName, int batchSize = 500, TimeSpan? retryInterval = null) =>
        new(streamName, "cortex-trails-recorder", "cortex trails", "cortex trails", batchSize, retryInterval);

    /// <summary>The organs' trails into <c>organ_trails</c>.</summary>
    public static JetStreamRecorderSettings OrganTrails(string streamName, int batchSize = 500, TimeSpan? retryInterval = null) =>
        new(streamName, "organ-trails-recorder", "organ trails", "organ trails", batchSize, retryInterval);
}

/// <summary>
/// Records every durable message of one kind (gate transitions, cortex trails, organ trails) in its table. They
/// are published durably to JetStream, so the stream is the spool:
/// this reads them through a durable pull consumer and acknowledges each message of a batch only once PostgreSQL
/// has committed it. While PostgreSQL is away the batch is retried and everything after it waits
/// in the stream; a redelivery (an ack lost, a delivery lost with a connection, a recorder that died holding
/// its batch) is skipped by the store, so each message is stored exactly once. A message that is not valid, and a
/// valid one that PostgreSQL refuses, is set aside in <c>dead_letters</c> with its reason, counted
/// and acknowledged with its batch: it cannot block the ones after it.
/// </summary>
public sealed class JetStreamRecorder<TBody>(
    INatsConnection nats, IEnvelopeStore<TBody> store, PostgresDeadLetters deadLetters, DatabaseStartup startup, JetStreamRecorderSettings settings, ILogger<JetStreamRecorder<TBody>> logger)
    : BackgroundService, IStatusContributor
    where TBody : IMessageBody
{
    /// <summary>Problems repeat while they last: each kind is logged at most once a minute.</summary>
    private static readonly TimeSpan LogEvery = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan FetchWait = TimeSpan.FromSeconds(1);
    /// <summary>
    /// How long a delivered message may go unacknowledged before it is delivered again. Short, because a delivery
    /// can be lost: a fetch that NATS.Net re-sends after a reconnection can outlive the fetch that wanted it, and a
    /// recorder can die holding its batch. A batch held longer (PostgreSQL away) is only redelivered to a fetch,
    /// and the store skips what it has.
    /// </summary>
    internal static readonly TimeSpan RedeliverAfter = TimeSpan.FromSeconds(10);
    private const string WaitingForPostgres = "PostgreSQL";

    private long _recorded;
    private long _malformed;
    private volatile string? _waitingFor;
    /// <summary>When each kind of problem was last logged (only the recorder's own loop touches it).</summary>
    private readonly LogThrottle _problems = new(LogEvery);

    /// <summary>Messages newly stored since start.</summary>
    public long Recorded => Interlocked.Read(ref _recorded);

    /// <summary>Messages on the stream's subjects that were not valid ones.</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    public int Order => 35;

    public string Describe()
    {
        var text = _waitingFor is { } waiting ? $"{settings.StatusLabel}: waiting for {waiting}, {Recorded} recorded" : $"{settings.StatusLabel}: {Recorded} recorded";
        return Malformed > 0 ? $"{text}, {Malformed} malformed" : text;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _waitingFor = "the PostgreSQL schema";
        await startup.WhenReady.WaitAsync(stoppingToken).ConfigureAwait(false);
        var jetStream = nats.CreateJetStreamContext();
        var consumer = await AttachAsync(jetStream, stoppingToken).ConfigureAwait(false);
        logger.LogInformation("Recording {What} from JetStream stream {Stream} (durable consumer {Consumer}) into {Table}", settings.What, settings.StreamName, settings.ConsumerName, store.Path);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var (records, malformed, delivered) = await FetchAsync(consumer, stoppingToken).ConfigureAwait(false);
                if (delivered.Count == 0)
                {
                    continue;
                }

                await StoreAsync(records, malformed, stoppingToken).ConfigureAwait(false);
                // Each one, not the newest for all: a cumulative ack would also cover older messages delivered
                // to a fetch that was lost, which then would never come again.
                foreach (var message in delivered)
                {
                    await message.AckAsync(cancellationToken: stoppingToken).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // NATS away, the consumer deleted, an ack lost: nothing unacknowledged is lost (it
                // comes again and the store skips what it has); the daemon must not stop for it.
                if (_problems.ShouldLog("reading", out _))
                {
                    logger.LogWarning("Reading {What} from {Stream} failed ({Error}); attaching again every {Retry}", settings.What, settings.StreamName, e.Message, settings.Retry);
                }

                await Task.Delay(settings.Retry, stoppingToken).ConfigureAwait(false);
                consumer = await AttachAsync(jetStream, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The durable consumer, once the stream exists (the NATS bridge creates it) and NATS answers.</summary>
    private async Task<INatsJSConsumer> AttachAsync(INatsJSContext jetStream, CancellationToken stoppingToken)
    {
        var config = new ConsumerConfig(settings.ConsumerName)
        {
            AckPolicy = ConsumerConfigAckPolicy.Explicit,
            DeliverPolicy = ConsumerConfigDeliverPolicy.All,
            AckWait = RedeliverAfter,
            Description = $"nimmerverse: {settings.What} into PostgreSQL",
        };
        while (true)
        {
            try
            {
                await ReplaceCumulativeConsumerAsync(jetStream, stoppingToken).ConfigureAwait(false);
                var consumer = await jetStream.CreateOrUpdateConsumerAsync(settings.StreamName, config, stoppingToken).ConfigureAwait(false);
                _waitingFor = null;
                return consumer;
            }
            catch (Exception e) when (e is NatsJSException or NatsException or TimeoutException)
            {
                _waitingFor = $"JetStream stream {settings.StreamName}";
                if (_problems.ShouldLog("attach", out _))
                {
                    logger.LogWarning("{What} cannot be read yet from {Stream}: {Error}; retrying every {Retry}", settings.What, settings.StreamName, e.Message, settings.Retry);
                }

                await Task.Delay(settings.Retry, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Versions before this one acknowledged cumulatively, and JetStream cannot change a consumer's ack policy:
    /// such a consumer is deleted, and the new one reads the stream from its start (the store skips what it has).
    /// </summary>
    private async Task ReplaceCumulativeConsumerAsync(INatsJSContext jetStream, CancellationToken stoppingToken)
    {
        INatsJSConsumer existing;
        try
        {
            existing = await jetStream.GetConsumerAsync(settings.StreamName, settings.ConsumerName, stoppingToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            return;
        }

        if (existing.Info.Config.AckPolicy != ConsumerConfigAckPolicy.Explicit)
        {
            logger.LogInformation("Durable consumer {Consumer} acknowledges {Policy}; replacing it with one that acknowledges each message (it reads {Stream} from the start; what is stored is skipped)",
                settings.ConsumerName, existing.Info.Config.AckPolicy, settings.StreamName);
            await jetStream.DeleteConsumerAsync(settings.StreamName, settings.ConsumerName, stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>A message on the stream's subjects that is not a valid one: kept as it came, with the rejection.</summary>
    private sealed record NotValid(byte[] Payload, string Subject, Rejection? Rejection);

    private async Task<(List<Envelope<TBody>> Records, List<NotValid> Malformed, List<INatsJSMsg<byte[]>> Delivered)> FetchAsync(INatsJSConsumer consumer, CancellationToken stoppingToken)
    {
        var records = new List<Envelope<TBody>>();
        var malformed = new List<NotValid>();
        var delivered = new List<INatsJSMsg<byte[]>>();
        // A consumer deleted between two fetches never answers the next (nats-server 2.9; later ones send 503, no
        // responders), and NATS.Net ends that fetch as quietly as an empty one: only its notification tells them apart.
        var unanswered = false;
        var options = new NatsJSFetchOpts
        {
            MaxMsgs = settings.BatchSize,
            Expires = FetchWait,
            NotificationHandler = (notification, _) =>
            {
                unanswered |= notification is NatsJSTimeoutNotification or NatsJSNoRespondersNotification;
                return Task.CompletedTask;
            },
        };
        await foreach (var message in consumer.FetchAsync<byte[]>(options, cancellationToken: stoppingToken).ConfigureAwait(false))
        {
            delivered.Add(message);
            var decoded = WireCodec.Default.Decode<TBody>(message.Data);
            if (decoded.Envelope is { } envelope)
            {
                records.Add(envelope);
            }
            else
            {
                malformed.Add(new NotValid(message.Data ?? [], message.Subject, decoded.Rejection));
            }
        }

        // The fetch has ended, and with it the notifications it sent.
        if (unanswered && delivered.Count == 0)
        {
            throw new NatsJSException($"durable consumer {settings.ConsumerName} did not answer a fetch; deleted?");
        }

        return (records, malformed, delivered);
    }

    /// <summary>The batch's malformed messages into <c>dead_letters</c> (they also stay in the stream, acknowledged, for <c>Nats:GateStreamMaxAge</c>).</summary>
    private async Task SetAsideAsync(List<NotValid> malformed, CancellationToken stoppingToken)
    {
        await deadLetters.SetAsideAsync(store.Path, [.. malformed.Select(m => new PostgresDeadLetters.DeadLetter(WireCodec.MessageIdOf(m.Payload), m.Payload,
            $"not a valid {TBody.MessageType} on {m.Subject}: {m.Rejection?.Reason.ToString() ?? "empty"}: {m.Rejection?.Detail ?? "no payload"}", null))], stoppingToken).ConfigureAwait(false);
        Interlocked.Add(ref _malformed, malformed.Count);
        malformed.Clear();
    }

    /// <summary>Until PostgreSQL has it, the malformed set aside: nothing after this batch is acknowledged before.</summary>
    private async Task StoreAsync(List<Envelope<TBody>> records, List<NotValid> malformed, CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                if (malformed.Count > 0)
                {
                    await SetAsideAsync(malformed, stoppingToken).ConfigureAwait(false);
                }

                Interlocked.Add(ref _recorded, await store.WriteAsync(records, stoppingToken).ConfigureAwait(false));
                if (_waitingFor == WaitingForPostgres)
                {
                    logger.LogInformation("PostgreSQL is back: {What} are recorded again", settings.What);
                    _waitingFor = null;
                }

                return;
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException && !stoppingToken.IsCancellationRequested)
            {
                _waitingFor = WaitingForPostgres;
                if (_problems.ShouldLog("postgres", out _))
                {
                    logger.LogWarning("{Count} {What} wait in JetStream: PostgreSQL failed ({Error}); retrying every {Retry}", records.Count, settings.What, e.Message, settings.Retry);
                }

                await Task.Delay(settings.Retry, stoppingToken).ConfigureAwait(false);
            }
        }
    }
}
