using System.Collections.Concurrent;
using Nimmerverse.Actors.Npc;
using Nimmerverse.Protocol;
using Nimmerverse.Testing.TestKit;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Npc;

/// <summary>The keeper's protocol, over an in-memory store; the PostgreSQL store has its own tests against a real server.</summary>
[Category(TestTier.Unit)]
public sealed class CheckpointKeeperActorSpec : AkkaSpec
{
    private static readonly Subjects Dev = new("dev");
    private static readonly NpcCheckpointBody Checkpoint = new(4, 2, "medium", "torchsharp-dqn/test", [1, 2, 3], 100, 10, 0.3);

    private sealed class MemoryStore : ICheckpointStore
    {
        public ConcurrentDictionary<Guid, NpcCheckpointBody> Saved { get; } = new();

        public bool Down { get; set; }

        public Task SaveAsync(NpcCheckpointBody checkpoint, Guid messageId, CancellationToken cancellationToken) =>
            Down ? Task.FromException(new TimeoutException("no database")) : Task.FromResult(Saved.TryAdd(messageId, checkpoint));

        public Task<NpcCheckpointBody?> LatestAsync(int npcId, long? olderThanSequence, CancellationToken cancellationToken) =>
            Down ? Task.FromException<NpcCheckpointBody?>(new TimeoutException("no database")) : Task.FromResult(Saved.Values.Where(c => c.NpcId == npcId && (olderThanSequence is null || c.Sequence < olderThanSequence)).MaxBy(c => c.Sequence));
    }

    private (Akka.TestKit.TestProbe Bridge, Akka.Actor.IActorRef Keeper) StartKeeper(ICheckpointStore store)
    {
        var bridge = CreateTestProbe();
        var keeper = Sys.ActorOf(CheckpointKeeperActor.Props(bridge.Ref, Dev, store, "theia"));
        var save = bridge.ExpectMsg<Subscribe<NpcCheckpointBody>>();
        Assert.That((save.Pattern.Value, save.MaxPayloadBytes), Is.EqualTo(("dev.supervisor.checkpoints.*.save", (int?)NpcCheckpointBody.MaxPayloadBytes)));
        Assert.That(bridge.ExpectMsg<Subscribe<CheckpointQueryBody>>().Pattern.Value, Is.EqualTo("dev.supervisor.checkpoints.*.load"));
        return (bridge, keeper);
    }

    private static Inbound<TBody> Request<TBody>(string subject, TBody body)
        where TBody : IMessageBody =>
        new(subject, Envelopes.Of(new MessageSource("npc-4", "npc", 1), body), "_INBOX.npc4");

    [Test]
    public void A_checkpoint_is_acknowledged_once_stored_and_is_then_the_latest()
    {
        var store = new MemoryStore();
        var (bridge, keeper) = StartKeeper(store);

        keeper.Tell(Request("dev.supervisor.checkpoints.4.save", Checkpoint), TestActor);
        var saved = bridge.ExpectMsg<Reply<CheckpointSavedBody>>();
        keeper.Tell(Request("dev.supervisor.checkpoints.4.load", new CheckpointQueryBody(4)), TestActor);
        var found = bridge.ExpectMsg<Reply<CheckpointFoundBody>>();

        Assert.That(saved.Envelope.Body, Is.EqualTo(new CheckpointSavedBody(4, 2)));
        Assert.That(store.Saved, Has.Count.EqualTo(1));
        Assert.That(found.Envelope.Body.Checkpoint!.Weights, Is.EqualTo(Checkpoint.Weights));
    }

    [Test]
    public void An_npc_without_checkpoints_gets_none_and_an_unavailable_store_is_an_error_not_silence()
    {
        var store = new MemoryStore();
        var (bridge, keeper) = StartKeeper(store);

        keeper.Tell(Request("dev.supervisor.checkpoints.8.load", new CheckpointQueryBody(8)), TestActor);
        var none = bridge.ExpectMsg<Reply<CheckpointFoundBody>>().Envelope.Body;
        store.Down = true;
        keeper.Tell(Request("dev.supervisor.checkpoints.4.save", Checkpoint), TestActor);
        var refused = bridge.ExpectMsg<Reply<CheckpointSavedBody>>().Envelope.Body;

        Assert.That((none.Checkpoint, none.Error), Is.EqualTo(((NpcCheckpointBody?)null, (string?)null)));
        Assert.That(refused.Error, Does.Contain("the checkpoint store is unavailable: no database"));
    }

    [Test]
    public void A_checkpoint_is_taken_and_served_only_on_its_own_NPCs_subject()
    {
        var store = new MemoryStore();
        var (bridge, keeper) = StartKeeper(store);

        keeper.Tell(Request("dev.supervisor.checkpoints.x.save", Checkpoint), TestActor);
        var refusedSave = bridge.ExpectMsg<Reply<CheckpointSavedBody>>().Envelope.Body;
        keeper.Tell(Request("dev.supervisor.checkpoints.x.load", new CheckpointQueryBody(4)), TestActor);
        var refusedLoad = bridge.ExpectMsg<Reply<CheckpointFoundBody>>().Envelope.Body;

        Assert.That(refusedSave.Error, Is.EqualTo("refused: dev.supervisor.checkpoints.x.save is not NPC 4's checkpoint subject"));
        Assert.That(store.Saved, Is.Empty, "nothing stored");
        Assert.That((refusedLoad.Checkpoint, refusedLoad.Error), Is.EqualTo(((NpcCheckpointBody?)null, "refused: dev.supervisor.checkpoints.x.load is not NPC 4's checkpoint subject")));
    }

    [Test]
    public void A_brain_that_cannot_use_its_newest_checkpoint_is_served_the_one_before()
    {
        var store = new MemoryStore();
        var (bridge, keeper) = StartKeeper(store);
        keeper.Tell(Request("dev.supervisor.checkpoints.4.save", Checkpoint with { Sequence = 1 }), TestActor);
        keeper.Tell(Request("dev.supervisor.checkpoints.4.save", Checkpoint with { Sequence = 2 }), TestActor);
        bridge.ExpectMsg<Reply<CheckpointSavedBody>>();
        bridge.ExpectMsg<Reply<CheckpointSavedBody>>();

        keeper.Tell(Request("dev.supervisor.checkpoints.4.load", new CheckpointQueryBody(4, Before: 2)), TestActor);

        Assert.That(bridge.ExpectMsg<Reply<CheckpointFoundBody>>().Envelope.Body.Checkpoint?.Sequence, Is.EqualTo(1));
    }
}
