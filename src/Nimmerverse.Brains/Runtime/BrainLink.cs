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
    // Made once: building a subject checks every token, and the brain steps and reports every tick.
    private readonly Subject _worldStep;
    private readonly string _state;
    private readonly MessageSource _source;
    private readonly int _npcId;
    private readonly WireCodec _codec = new(NpcCheckpointBody.MaxPayloadBytes);
    private readonly TaskCompletionSource<string> _refused = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly BrainLog? _log;
    private long _permissionViolations;
    private CancellationTokenSource? _stateDeadline;

    /// <param name="arguments">The brain's command line.</param>
    /// <param name="credentials">The text of its <c>.creds</c>, when they came on standard input (see <see cref="ReadCredentials"/>).</param>
    /// <param name="log">Where refused publishes and subscriptions are said (at most once a minute).</param>
    public BrainLink(BrainCommandLine arguments, string? credentials = null, BrainLog? log = null)
    {
        _log = log;
        _npcId = arguments.Id;
        _subjects = new Subjects(arguments.Environment);
        (_worldStep, _state) = (_subjects.WorldStep, _subjects.NpcState(arguments.Id).Value);
        _source = new MessageSource($"npc-{arguments.Id}", "npc", 1);
        _connection = new NatsConnection(new NatsOpts
        {
            Url = arguments.NatsUrl.ToString(),
            Name = $"nimmerverse-brain-{arguments.Id}",
            AuthOpts = (credentials, arguments.CredsFile) switch
            {
                ({ } text, _) => new NatsAuthOpts { Creds = text },
                (null, { } path) => new NatsAuthOpts { CredsFile = path },
                _ => NatsAuthOpts.Default,
            },
            // Its answers come on a prefix of its own, which its credentials let it (and only it) read.
            InboxPrefix = _subjects.NpcInboxPrefix(arguments.Id),
            RetryOnInitialConnect = true,
            MaxReconnectRetry = -1,
            ReconnectWaitMin = TimeSpan.FromMilliseconds(250),
            ReconnectWaitMax = TimeSpan.FromSeconds(2),
        });
        _connection.ServerError += OnServerError;
    }

    /// <summary>Publishes and subscriptions the server refused this NPC's credentials (<c>-ERR 'Permissions Violation ...'</c>) since the start.</summary>
    public long PermissionViolations => Interlocked.Read(ref _permissionViolations);

    /// <summary>
    /// Completes, with the server's words, when the server refuses the credentials themselves
    /// (unknown, expired or revoked): the brain cannot go on, and exits for its supervisor to start
    /// it again with fresh ones.
    /// </summary>
    public Task<string> CredentialsRefused => _refused.Task;

    /// <summary>
    /// The credentials when <c>--creds -</c> says they come on standard input (read to its end), else null;
    /// an <see cref="InvalidDataException"/> when standard input holds none.
    /// </summary>
    public static string? ReadCredentials(BrainCommandLine arguments, TextReader standardInput)
    {
        if (arguments.CredsFile != BrainCommandLine.CredsOnStandardInput)
        {
            return null;
        }

        var text = standardInput.ReadToEnd();
        return text.Contains("-----BEGIN NATS USER JWT-----", StringComparison.Ordinal) && text.Contains("-----BEGIN USER NKEY SEED-----", StringComparison.Ordinal)
            ? text
            : throw new InvalidDataException("--creds - was given, but standard input held no NATS credentials (a user JWT and its nkey seed)");
    }

    public Task ConnectAsync() => ConnectOrReportAsync();

    private async Task ConnectOrReportAsync()
    {
        try
        {
            await _connection.ConnectAsync().ConfigureAwait(false);
        }
        catch (NatsException e) when (IsRefusal(e.GetBaseException().Message))
        {
            // NATS.Net gives up reconnecting when the server answers the same authentication error twice.
            _refused.TrySetResult(e.GetBaseException().Message);
            throw;
        }
    }

    private ValueTask OnServerError(object? sender, NatsServerErrorEventArgs error)
    {
        switch (error.Kind)
        {
            case NatsServerErrorKind.PermissionsViolation:
                var count = Interlocked.Increment(ref _permissionViolations);
                _log?.Warning("permissions", $"the bus refused this NPC: {error.Error} ({count} so far; reported in its state)");
                break;
            case NatsServerErrorKind.AuthorizationViolation or NatsServerErrorKind.AuthenticationExpired
                or NatsServerErrorKind.AuthenticationRevoked or NatsServerErrorKind.AccountAuthenticationExpired:
                _refused.TrySetResult(error.Error);
                break;
        }

        return ValueTask.CompletedTask;
    }

    private static bool IsRefusal(string message) =>
        message.Contains("authorization violation", StringComparison.OrdinalIgnoreCase)
        || message.Contains("authentication expired", StringComparison.OrdinalIgnoreCase)
        || message.Contains("authentication revoked", StringComparison.OrdinalIgnoreCase);

    public Task<WorldStepResultBody> StepAsync(string? action, TimeSpan timeout, CancellationToken cancellationToken) =>
        RequestAsync<WorldStepBody, WorldStepResultBody>(_worldStep, new WorldStepBody(_npcId, action), timeout, cancellationToken);

    public Task<CheckpointSavedBody> SaveAsync(NpcCheckpointBody checkpoint, TimeSpan timeout, CancellationToken cancellationToken) =>
        RequestAsync<NpcCheckpointBody, CheckpointSavedBody>(_subjects.CheckpointSave(_npcId), checkpoint, timeout, cancellationToken);

    /// <summary>The NPC's latest checkpoint, or with <paramref name="olderThanSequence"/> the one stored before that.</summary>
    public Task<CheckpointFoundBody> LoadAsync(TimeSpan timeout, CancellationToken cancellationToken, long? olderThanSequence = null) =>
        RequestAsync<CheckpointQueryBody, CheckpointFoundBody>(_subjects.CheckpointLoad(_npcId), new CheckpointQueryBody(_npcId, olderThanSequence), timeout, cancellationToken);

    /// <summary>A question to the cortex, answered on this NPC's own inbox (the gateway checks it is).</summary>
    public Task<CortexResponseBody> AskCortexAsync(CortexRequestBody question, TimeSpan timeout, CancellationToken cancellationToken) =>
        RequestAsync<CortexRequestBody, CortexResponseBody>(_subjects.CortexRequest, question, timeout, cancellationToken);

    /// <summary>
    /// Publishes the brain's state, giving up after <paramref name="deadline"/>. NATS.Net nearly always takes a
    /// publish at once (into its buffer); only one that must wait (the server away, the buffer full) arms
    /// the deadline's timer, so an ordinary tick starts no timer and wakes no timer thread.
    /// </summary>
    public async ValueTask PublishStateAsync(NpcStateBody state, TimeSpan deadline, CancellationToken stopping)
    {
        if (_stateDeadline?.TryReset() != true)
        {
            _stateDeadline?.Dispose();
            _stateDeadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        }

        var publish = _connection.PublishAsync(_state, _codec.Encode(Wrap(state)), cancellationToken: _stateDeadline.Token);
        if (!publish.IsCompleted)
        {
            _stateDeadline.CancelAfter(deadline);
        }

        await publish.ConfigureAwait(false);
    }

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

    public ValueTask DisposeAsync()
    {
        _stateDeadline?.Dispose();
        return _connection.DisposeAsync();
    }

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
