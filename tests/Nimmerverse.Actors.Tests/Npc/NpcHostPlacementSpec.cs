using Nimmerverse.Actors.Npc;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;
using Nimmerverse.Testing.TestKit;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;
using static Nimmerverse.Actors.Npc.NpcHostMessages;
using static Nimmerverse.Actors.Npc.Placement.PlacementMessages;

namespace Nimmerverse.Actors.Tests.Npc;

/// <summary>
/// An NPC host under a placement (a probe here): it reports what it runs, starts what its run set adds and stops what
/// the run set drops, counting a stopping brain as running until it has stopped (so that no other host starts it).
/// The brains are shell scripts that stop on SIGTERM.
/// </summary>
[Category(TestTier.Unit)]
public sealed class NpcHostPlacementSpec : AkkaSpec
{
    private string _directory = null!;

    [SetUp]
    public void MakeDirectory() => _directory = Directory.CreateTempSubdirectory("nimmerverse-placement-").FullName;

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_directory, recursive: true);

    /// <param name="script">The stand-in brain; by default one that takes a while (longer than a report interval) to hand over its weights when told to stop.</param>
    private NpcHostSettings Settings(string script = "#!/bin/sh\ntrap 'sleep 4; exit 0' TERM\nwhile true; do sleep 0.1; done\n")
    {
        var brain = Path.Combine(_directory, "brain");
        File.WriteAllText(brain, script);
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(brain, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return new NpcHostSettings
        {
            BrainPath = brain, Population = 3, Role = "small", SpawnInterval = TimeSpan.Zero, StopTimeout = TimeSpan.FromSeconds(8),
            HeartbeatTimeout = TimeSpan.FromSeconds(30), StartupTimeout = TimeSpan.FromSeconds(60), StartupCpuQuotaPercent = 5, LeaseTimeout = TimeSpan.Zero,
        };
    }

    private static NpcLifecycleBody NextEvent(Akka.TestKit.TestProbe bridge) =>
        ((Publish<NpcLifecycleBody>)bridge.FishForMessage(m => m is Publish<NpcLifecycleBody>, TimeSpan.FromSeconds(10))).Envelope.Body;

    [Test]
    public void A_brain_whose_lease_lapsed_is_not_restarted_at_once_the_host_starts_none_for_the_hold()
    {
        // Brains that stop themselves as a brain does when no supervisor renewed its lease.
        var settings = Settings($"#!/bin/sh\nsleep 0.5\nexit {BrainCommandLine.LeaseLapsedExitCode}\n");
        var (bridge, placement, hold) = (CreateTestProbe(), CreateTestProbe(), TimeSpan.FromSeconds(2));
        var host = Sys.ActorOf(NpcHostActor.Props(settings, "nats://127.0.0.1:4222", bridge.Ref, new Subjects("dev"), "theia", scopes: null, placement: placement.Ref, holdAfterLapse: hold));
        placement.ExpectMsg<HostReport>(TimeSpan.FromSeconds(10));

        host.Tell(new RunSet([1]), placement.Ref);
        Assert.That(NextEvent(bridge).Event, Is.EqualTo("spawned"));
        var exited = NextEvent(bridge);
        Assert.That((exited.NpcId, exited.Event, exited.ExitCode), Is.EqualTo((1, "exited", (int?)BrainCommandLine.LeaseLapsedExitCode)), "its lease lapsed");
        var lapsed = DateTime.UtcNow;
        placement.FishForMessage(m => m is HostReport { Running: [] }, TimeSpan.FromSeconds(5), "the host no longer counts it");

        host.Tell(new RunSet([1]), placement.Ref); // a stale placement still gives it this NPC
        var again = NextEvent(bridge);
        Assert.That((again.NpcId, again.Event), Is.EqualTo((1, "spawned")), "started again once the hold is over");
        Assert.That(DateTime.UtcNow - lapsed, Is.GreaterThanOrEqualTo(hold - TimeSpan.FromMilliseconds(100)), "not before");
        host.Tell(StopAll.Instance, TestActor);
        ExpectMsg<AllStopped>(TimeSpan.FromSeconds(20));
    }

    [Test]
    public void The_host_reports_runs_its_run_set_and_stops_what_leaves_it_reporting_it_until_it_has_stopped()
    {
        var bridge = CreateTestProbe();
        var placement = CreateTestProbe();
        var host = Sys.ActorOf(NpcHostActor.Props(Settings(), "nats://127.0.0.1:4222", bridge.Ref, new Subjects("dev"), "theia", scopes: null, placement: placement.Ref));

        Assert.That(placement.ExpectMsg<HostReport>(TimeSpan.FromSeconds(10)), Is.EqualTo(new HostReport("theia", 3, [])).Using<HostReport>(SameReport));
        Assert.That(bridge.ReceiveWhile(TimeSpan.FromMilliseconds(300), m => m).OfType<Publish<NpcLifecycleBody>>(), Is.Empty, "nothing starts before the placement says so");

        host.Tell(new RunSet([0, 2]), placement.Ref);
        var started = new[] { NextEvent(bridge), NextEvent(bridge) }.Select(e => (e.NpcId, e.Event)).Order().ToArray();
        Assert.That(started, Is.EqualTo(new[] { (0, "spawned"), (2, "spawned") }));
        var running = (HostReport)placement.FishForMessage(m => m is HostReport { Running: [0, 2] }, TimeSpan.FromSeconds(5));
        Assert.That(OverTheWire(running), Is.EqualTo(running).Using<HostReport>(SameReport), "a report crosses the cluster as it was sent");

        host.Tell(new RunSet([2]), placement.Ref);
        var report = placement.FishForMessage<HostReport>(_ => true, TimeSpan.FromSeconds(5));
        Assert.That(report.Running, Is.EqualTo(new[] { 0, 2 }), "NPC 0 is still running while it hands over its weights");
        var exited = ((Publish<NpcLifecycleBody>)bridge.FishForMessage(m => m is Publish<NpcLifecycleBody>, TimeSpan.FromSeconds(15))).Envelope.Body;
        Assert.That((exited.NpcId, exited.Event), Is.EqualTo((0, "exited")));
        placement.FishForMessage(m => m is HostReport { Running: [2] }, TimeSpan.FromSeconds(10));
        host.Tell(GetNpcs.Instance, TestActor);
        var hosted = ExpectMsg<HostedNpcs>();
        Assert.That(OverTheWire(hosted).NpcIds, Is.EqualTo(new[] { 2 }), "the dashboard asks other members too");

        host.Tell(new RunSet([0, 2]), placement.Ref);
        var again = NextEvent(bridge);
        Assert.That((again.NpcId, again.Event), Is.EqualTo((0, "spawned")), "given back, it starts again");

        host.Tell(StopAll.Instance, TestActor);
        Assert.That(ExpectMsg<AllStopped>(TimeSpan.FromSeconds(20)).Count, Is.EqualTo(2));
    }

    /// <summary>Through Akka's serializer, as to another member.</summary>
    private T OverTheWire<T>(T message)
        where T : class
    {
        var serializer = Sys.Serialization.FindSerializerFor(message);
        return (T)serializer.FromBinary(serializer.ToBinary(message), typeof(T));
    }

    private static bool SameReport(HostReport a, HostReport b) => a.Host == b.Host && a.Capacity == b.Capacity && a.Running.SequenceEqual(b.Running);
}
