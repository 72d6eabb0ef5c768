using Akka.Actor;
using Akka.Event;
using Nimmerverse.Protocol;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;

namespace Nimmerverse.Actors.Npc;

/// <summary>
/// Keeps the brains' checkpoints: answers <c>{env}.supervisor.checkpoints.save</c> once the
/// checkpoint is stored (or with the reason it is not), and <c>.load</c> with the NPC's latest.
/// The brains hold no database credentials; this is their only way to the store.
/// </summary>
public sealed class CheckpointKeeperActor : ReceiveActor
{
    private static readonly TimeSpan StoreTimeout = TimeSpan.FromSeconds(10);

    private readonly IActorRef _bridge;
    private readonly Subjects _subjects;
    private readonly ICheckpointStore _store;
    private readonly MessageSource _source;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public CheckpointKeeperActor(IActorRef bridge, Subjects subjects, ICheckpointStore store, string hostName)
    {
        _bridge = bridge;
        _subjects = subjects;
        _store = store;
        _source = new MessageSource($"checkpoints@{hostName}", "supervisor", 1);

        Receive<Subscribed>(subscribed => _log.Info("Checkpoint keeper listening on {Subject}", subscribed.Pattern));
        Receive<Inbound<NpcCheckpointBody>>(Save);
        Receive<Inbound<CheckpointQueryBody>>(Load);
        Receive<Answered>(answered => Answer(answered.ReplyTo, answered.RequestId, answered.Body));
    }

    public static Props Props(IActorRef bridge, Subjects subjects, ICheckpointStore store, string hostName) =>
        Akka.Actor.Props.Create(() => new CheckpointKeeperActor(bridge, subjects, store, hostName));

    protected override void PreStart()
    {
        _bridge.Tell(new Subscribe<NpcCheckpointBody>(_subjects.CheckpointSaves, Self, "nimmerverse-checkpoints", NpcCheckpointBody.MaxPayloadBytes));
        _bridge.Tell(new Subscribe<CheckpointQueryBody>(_subjects.CheckpointLoads, Self, "nimmerverse-checkpoints"));
    }

    /// <summary>
    /// A checkpoint is taken only from its own NPC's subject (<c>…checkpoints.{id}.save</c>, which the
    /// NATS permissions give to that NPC alone); the bridge refuses one whose body names another NPC,
    /// this one whose subject names none (<c>…checkpoints.x.save</c>).
    /// </summary>
    private bool OnItsOwnSubject<TRequest>(Inbound<TRequest> request, int npcId, Func<string, object> refusal)
        where TRequest : IMessageBody
    {
        if (Subjects.NpcIdOf(request.Subject) == npcId)
        {
            return true;
        }

        _log.Warning("Refused a checkpoint request for NPC {NpcId} on {Subject}: not that NPC's subject", npcId, request.Subject);
        if (request.ReplyTo is { } replyTo)
        {
            Answer(replyTo, request.Envelope.Header.MessageId, (IMessageBody)refusal($"refused: {request.Subject} is not NPC {npcId}'s checkpoint subject"));
        }

        return false;
    }

    private void Save(Inbound<NpcCheckpointBody> request)
    {
        var checkpoint = request.Envelope.Body;
        if (!OnItsOwnSubject(request, checkpoint.NpcId, error => new CheckpointSavedBody(checkpoint.NpcId, checkpoint.Sequence, error)))
        {
            return;
        }

        var (replyTo, requestId) = (request.ReplyTo, request.Envelope.Header.MessageId);
        var log = _log;
        Run(
            async token =>
            {
                await _store.SaveAsync(checkpoint, requestId, token).ConfigureAwait(false);
                log.Debug("Stored checkpoint {Sequence} of NPC {NpcId} ({Bytes} bytes, {Steps} steps)", checkpoint.Sequence, checkpoint.NpcId, checkpoint.Weights.Length, checkpoint.Steps);
                return new CheckpointSavedBody(checkpoint.NpcId, checkpoint.Sequence);
            },
            error => new CheckpointSavedBody(checkpoint.NpcId, checkpoint.Sequence, error),
            replyTo,
            requestId);
    }

    private void Load(Inbound<CheckpointQueryBody> request)
    {
        var (npcId, before) = (request.Envelope.Body.NpcId, request.Envelope.Body.Before);
        if (!OnItsOwnSubject(request, npcId, error => new CheckpointFoundBody(null, error)))
        {
            return;
        }

        Run(
            async token => new CheckpointFoundBody(await _store.LatestAsync(npcId, before, token).ConfigureAwait(false)),
            error => new CheckpointFoundBody(null, error),
            request.ReplyTo,
            request.Envelope.Header.MessageId);
    }

    /// <summary>Runs a store call off the mailbox and answers with its result, or with the failure as the reply's error.</summary>
    private void Run<TBody>(Func<CancellationToken, Task<TBody>> call, Func<string, TBody> failed, string? replyTo, Guid requestId)
        where TBody : IMessageBody
    {
        var log = _log;
        async Task<Answered> RunAsync()
        {
            using var timeout = new CancellationTokenSource(StoreTimeout);
            try
            {
                return new Answered(replyTo, requestId, await call(timeout.Token).ConfigureAwait(false));
            }
            catch (Exception e)
            {
                log.Warning("Checkpoint store call failed: {Error}", e.Message);
                return new Answered(replyTo, requestId, failed($"the checkpoint store is unavailable: {e.Message}"));
            }
        }

        RunAsync().PipeTo(Self);
    }

    private void Answer(string? replyTo, Guid requestId, IMessageBody body)
    {
        if (replyTo is null)
        {
            return;
        }

        switch (body)
        {
            case CheckpointSavedBody saved:
                _bridge.Tell(new Reply<CheckpointSavedBody>(replyTo, new(MessageHeader.New<CheckpointSavedBody>(_source, requestId), saved)));
                break;
            case CheckpointFoundBody found:
                _bridge.Tell(new Reply<CheckpointFoundBody>(replyTo, new(MessageHeader.New<CheckpointFoundBody>(_source, requestId), found)));
                break;
        }
    }

    private sealed record Answered(string? ReplyTo, Guid RequestId, IMessageBody Body);
}
