using System.Text.Json;
using System.Threading.Channels;
using Akka.Actor;
using Akka.TestKit;
using Nimmerverse.Actors.Dashboard;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;
using Nimmerverse.Testing.TestKit;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;

namespace Nimmerverse.Actors.Tests.Dashboard;

/// <summary>The feed in a one-member cluster, with a probe for the NATS bridge: what it subscribes to, when, and what watchers get.</summary>
[Category(TestTier.Unit)]
public sealed class DashboardFeedSpec() : AkkaSpec("""
    akka.actor.provider = cluster
    akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
    akka.loglevel = WARNING
    """)
{
    private static readonly Subjects Dev = new("dev");

    /// <summary>A cluster member leaves its cluster as it stops, which may outlast the kit's 5 s; these tests are not about that.</summary>
    protected override bool VerifySystemShutdown => false;

    private static readonly DashboardSettings Quick = new() { FrameInterval = TimeSpan.FromMilliseconds(50), Linger = TimeSpan.Zero, WarmUp = TimeSpan.FromMilliseconds(200) };

    private (TestProbe Bridge, IActorRef Feed, DashboardCounters Counters) StartFeed(DashboardSettings? settings = null)
    {
        Akka.Cluster.Cluster.Get(Sys).Join(Akka.Cluster.Cluster.Get(Sys).SelfAddress);
        var bridge = CreateTestProbe();
        var counters = new DashboardCounters();
        var feed = Sys.ActorOf(DashboardFeedActor.Props(bridge.Ref, Dev, settings ?? Quick, "theia", 150, counters: counters));
        return (bridge, feed, counters);
    }

    private static IReadOnlyList<string> Subscriptions(TestProbe bridge) =>
        [.. Enumerable.Range(0, 6).Select(_ => bridge.ExpectMsg<ISubscribe>(TimeSpan.FromSeconds(3))).Select(s => $"{s.GetType().GetGenericArguments()[0].Name} {s.Pattern}")];

    private static Inbound<NpcStateBody> NpcState(int id) =>
        new($"dev.npc.{id}.state", Envelopes.Of(new MessageSource($"npc-{id}", "npc", 1), new NpcStateBody(id, 5, 10, 10, 1, 0, 1, 0.5, 0.1, 0, 20, 0)), null);

    private static JsonElement Read(Channel<string> watcher, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        return JsonDocument.Parse(watcher.Reader.ReadAsync(cancel.Token).AsTask().GetAwaiter().GetResult()).RootElement.Clone();
    }

    [Test]
    public void Nobody_watching_costs_nothing_no_subscription_and_no_cluster_events()
    {
        var (bridge, _, counters) = StartFeed();

        bridge.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        Assert.That(counters.Listening, Is.False);
    }

    [Test]
    public void A_watcher_gets_a_snapshot_then_only_what_changed()
    {
        var (bridge, feed, counters) = StartFeed();
        var watcher = Channel.CreateBounded<string>(16);

        feed.Tell(new DashboardMessages.Watch(watcher.Writer), TestActor);

        ExpectMsg<DashboardMessages.Watching>();
        Assert.That(Subscriptions(bridge), Is.EquivalentTo(new[]
        {
            "NpcStateBody dev.npc.*.state", "NpcLifecycleBody dev.supervisor.*.npc", "AllocationBody dev.thalamus.governor.allocate",
            "GateTransitionBody dev.thalamus.gate.*", "WaveBody dev.nervous.*.*.wave", "WaveBody dev.organs.*.wave",
        }));
        var snapshot = Read(watcher, TimeSpan.FromSeconds(3));
        Assert.That(snapshot.GetProperty("type").GetString(), Is.EqualTo("snapshot"));
        Assert.That(snapshot.GetProperty("npcs").GetArrayLength(), Is.Zero);

        feed.Tell(NpcState(3));
        var delta = Read(watcher, TimeSpan.FromSeconds(3));
        while (delta.GetProperty("npcs").GetArrayLength() == 0)
        {
            delta = Read(watcher, TimeSpan.FromSeconds(3)); // the cluster's own news may come first
        }

        Assert.That(delta.GetProperty("type").GetString(), Is.EqualTo("delta"));
        Assert.That(delta.GetProperty("npcs")[0].GetProperty("npc_id").GetInt32(), Is.EqualTo(3));
        Assert.That(counters is { Listening: true, WatchersNow: 1 });
    }

    [Test]
    public void When_the_last_watcher_leaves_the_tap_stops_and_with_it_every_subscription()
    {
        var (bridge, feed, counters) = StartFeed();
        var watcher = Channel.CreateBounded<string>(16);
        feed.Tell(new DashboardMessages.Watch(watcher.Writer), TestActor);
        ExpectMsg<DashboardMessages.Watching>();
        var tap = bridge.ExpectMsg<ISubscribe>().Target;
        Watch(tap);

        feed.Tell(new DashboardMessages.Unwatch(watcher.Writer));

        ExpectTerminated(tap, TimeSpan.FromSeconds(3));
        AwaitCondition(() => !counters.Listening, TimeSpan.FromSeconds(3));
    }

    [Test]
    public void A_watcher_that_falls_behind_is_dropped_and_the_others_keep_theirs()
    {
        var (_, feed, counters) = StartFeed();
        var stuck = Channel.CreateBounded<string>(2);
        var reading = Channel.CreateBounded<string>(1000);
        feed.Tell(new DashboardMessages.Watch(stuck.Writer), TestActor);
        feed.Tell(new DashboardMessages.Watch(reading.Writer), TestActor);
        ExpectMsg<DashboardMessages.Watching>();
        ExpectMsg<DashboardMessages.Watching>();

        for (var i = 0; i < 5; i++)
        {
            feed.Tell(NpcState(i));
            Thread.Sleep(120); // a frame each
        }

        AwaitCondition(() => counters.WatchersDropped == 1, TimeSpan.FromSeconds(3));
        while (stuck.Reader.TryRead(out _))
        {
        }

        Assert.That(stuck.Reader.Completion.IsFaulted, Is.True, "its stream is ended with an error: the browser reconnects");
        Assert.That(counters.WatchersNow, Is.EqualTo(1));
        Assert.That(reading.Reader.Count, Is.GreaterThanOrEqualTo(3));
    }

    [Test]
    public void One_watcher_too_many_is_refused()
    {
        var (_, feed, _) = StartFeed(Quick with { MaxWatchers = 1 });
        feed.Tell(new DashboardMessages.Watch(Channel.CreateBounded<string>(16).Writer), TestActor);
        ExpectMsg<DashboardMessages.Watching>();

        feed.Tell(new DashboardMessages.Watch(Channel.CreateBounded<string>(16).Writer), TestActor);

        Assert.That(ExpectMsg<DashboardMessages.Refused>().Reason, Does.Contain("Dashboard:MaxWatchers"));
    }

    [TestCase(30_000)]
    [TestCase(0)]
    public void A_question_to_a_cold_feed_is_answered_after_it_has_listened_a_moment(int lingerMs)
    {
        var (bridge, feed, _) = StartFeed(Quick with { Linger = TimeSpan.FromMilliseconds(lingerMs) });

        feed.Tell(new DashboardMessages.GetNpcs(0, 10), TestActor);
        var tap = bridge.ExpectMsg<ISubscribe>().Target;
        tap.Tell(NpcState(7)); // the tap passes what it hears to the feed: the answer holds what was heard while warming

        var page = ExpectMsg<NpcPage>(TimeSpan.FromSeconds(3));
        Assert.That(page.Npcs.Select(n => n.NpcId), Is.EqualTo(new[] { 7 }));
        feed.Tell(new DashboardMessages.GetNpc(8), TestActor);
        Assert.That(ExpectMsg<DashboardMessages.NotFound>().Reason, Does.Contain("NPC 8"));
    }
}
