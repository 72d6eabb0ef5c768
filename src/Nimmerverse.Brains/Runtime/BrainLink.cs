using System.Runtime.CompilerServices;
using NATS.Client.Core;
using Nimmerverse.Protocol;

namespace Nimmerverse.Brains.Runtime;

/// <summary>
/// The brain's one NATS connection: steps in the world, its state, its commands and its
/// checkpoints, all as validated envelopes. NATS.Net reconnects by itself; while the server is
/// away, calls fail fast (each has its own timeout) and the brain keeps ticking.
/// </summary>
public sealed class BrainLink : IAsyncDisposable
{
    private readonly NatsConnection _connection;
    private readonly Subjects _subjects;
    private readonly MessageSource _source;
    private readonly int _npcId;
    private readonly WireCodec _codec = new(NpcCheckpointBody.MaxPayloadBytes);

    public BrainLink(BrainCommandLine arguments)
    {
        _npcId = arguments.Id;
        _subjects = new Subjects(arguments.Environment);
        _source = new MessageSource($"npc-{arguments.Id}", "npc", 1);
        _connection = new NatsConnection(new NatsOpts
        {
            Url = arguments.NatsUrl.ToString(),
            Name = $"nimmerverse-brain-{arguments.Id}",
            AuthOpts = arguments.CredsFile is { } creds ? new NatsAuthOpts { CredsFile = creds } : NatsAuthOpts.Default,
            // Its answers come on a prefix of its own, which its credentials let it (and only it) read.
            InboxPrefix = _subjects.NpcInboxPrefix(arguments.Id),
            RetryOnInitialConnect = true,
            MaxReconnectRetry = -1,
            ReconnectWaitMin = TimeSpan.FromMilliseconds(250),
            ReconnectWaitMax = TimeSpan.FromSeconds(2),
        });
    }

    public Task ConnectAsync() => _connection.ConnectAsync().AsTask();

    public Task<WorldStepResultBody> StepAsync(string? action, TimeSpan timeout, CancellationToken cancellationToken) =>
        RequestAsync<WorldStepBody, WorldStepResultBody>(_subjects.WorldStep, new WorldStepBody(_npcId, action), timeout, cancellationToken);

    public Task<CheckpointSavedBody> SaveAsync(NpcCheckpointBody checkpoint, TimeSpan timeout, CancellationToken cancellationToken) =>
        RequestAsync<NpcCheckpointBody, CheckpointSavedBody>(_subjects.CheckpointSave(_npcId), checkpoint, timeout, cancellationToken);

    /// <summary>The NPC's latest checkpoint, or with <paramref name="olderThanSequence"/> the one stored before that.</summary>
    public Task<CheckpointFoundBody> LoadAsync(TimeSpan timeout, CancellationToken cancellationToken, long? olderThanSequence = null) =>
        RequestAsync<CheckpointQueryBody, CheckpointFoundBody>(_subjects.CheckpointLoad(_npcId), new CheckpointQueryBody(_npcId, olderThanSequence), timeout, cancellationToken);

    public async Task PublishStateAsync(NpcStateBody state, CancellationToken cancellationToken) =>
        await _connection.PublishAsync(_subjects.NpcState(_npcId).Value, _codec.Encode(Wrap(state)), cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>Valid commands as they arrive; anything else is counted and reported through <paramref name="rejected"/>.</summary>
    public async IAsyncEnumerable<NpcCommandBody> CommandsAsync(Action<Rejection> rejected, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var message in _connection.SubscribeAsync<byte[]>(_subjects.NpcCommand(_npcId).Value, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var decoded = _codec.Decode<NpcCommandBody>(message.Data ?? []);
            if (decoded.Envelope is { } envelope)
            {
                yield return envelope.Body;
            }
            else
            {
                rejected(decoded.Rejection!);
            }
        }
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    private Envelope<TBody> Wrap<TBody>(TBody body)
        where TBody : IMessageBody => new(MessageHeader.New<TBody>(_source), body);

    private async Task<TResponse> RequestAsync<TRequest, TResponse>(Subject subject, TRequest body, TimeSpan timeout, CancellationToken cancellationToken)
        where TRequest : IMessageBody
        where TResponse : IMessageBody
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var reply = await _connection.RequestAsync<byte[], byte[]>(
            subject.Value, _codec.Encode(Wrap(body)), replyOpts: new NatsSubOpts { Timeout = timeout }, cancellationToken: deadline.Token).ConfigureAwait(false);
        var decoded = _codec.Decode<TResponse>(reply.Data ?? []);
        return decoded.Envelope is { } envelope
            ? envelope.Body
            : throw new InvalidDataException($"{subject} answered with a rejected {TResponse.MessageType}: {decoded.Rejection!.Reason}: {decoded.Rejection.Detail}");
    }
}
