using System.Collections.Concurrent;
using Nimmerverse.Actors.Npc;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;
using Nimmerverse.Testing.TestKit;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;

namespace Nimmerverse.Actors.Tests.Npc;

[Category(TestTier.Unit)]
public sealed class NpcSamplerSpec : AkkaSpec
{
    private static readonly Subjects Dev = new("dev");

    private sealed class KeptSamples : INpcSamples
    {
        public ConcurrentQueue<IReadOnlyList<NpcSample>> Batches { get; } = new();

        public Task StoreAsync(IReadOnlyList<NpcSample> samples, CancellationToken cancellationToken)
        {
            Batches.Enqueue(samples);
            return Task.CompletedTask;
        }
    }

    private static Inbound<NpcStateBody> State(int id, long tick) =>
        new($"dev.npc.{id}.state", Envelopes.Of(new MessageSource($"npc-{id}", "npc", 1), new NpcStateBody(id, tick, 10, 10, 1, 0, 1, 0.5, 0.1, 0, 20, 0)), null);

    [Test]
    public void Each_sample_keeps_the_latest_state_of_each_NPC_this_host_runs_once()
    {
        var (bridge, npcHost, kept) = (CreateTestProbe(), CreateTestProbe(), new KeptSamples());
        var sampler = Sys.ActorOf(NpcSamplerActor.Props(bridge.Ref, Dev, npcHost.Ref, kept, "theia", TimeSpan.FromMilliseconds(300)));
        Assert.That(bridge.ExpectMsg<Subscribe<NpcStateBody>>().Pattern.ToString(), Is.EqualTo("dev.npc.*.state"));
        npcHost.ExpectMsg<NpcHostMessages.GetNpcs>();
        npcHost.Reply(new NpcHostMessages.HostedNpcs("theia", [1, 2]));

        foreach (var tick in new long[] { 1, 2, 3 })
        {
            sampler.Tell(State(1, tick), Akka.Actor.ActorRefs.NoSender);
            sampler.Tell(State(2, tick * 10), Akka.Actor.ActorRefs.NoSender);
            sampler.Tell(State(3, tick), Akka.Actor.ActorRefs.NoSender); // another host's NPC
        }

        AwaitCondition(() => !kept.Batches.IsEmpty, TimeSpan.FromSeconds(3));
        kept.Batches.TryDequeue(out var batch);
        Assert.That(batch!.Select(s => (s.State.NpcId, s.State.Tick, s.Host)), Is.EquivalentTo(new[] { (1, 3L, "theia"), (2, 30L, "theia") }));
        ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        Assert.That(kept.Batches, Is.Empty, "no state since: nothing to keep");
    }
}
