using Nimmerverse.Actors.Npc;
using Nimmerverse.Brains.Contracts;
using Nimmerverse.Testing.TestKit;
using static Nimmerverse.Actors.Nats.NatsBridgeProtocol;
using static Nimmerverse.Actors.Npc.NpcHostProtocol;

namespace Nimmerverse.Actors.Tests.Npc;

/// <summary>
/// The NPC process actor with real child processes: small shell scripts that stand in for a brain
/// which crashes, is killed, or stops on SIGTERM (the brain's own behaviour is tested with the
/// brain). What is checked is the supervision: events, backoff, giving up, graceful stop.
/// </summary>
public sealed class NpcProcessActorSpec : AkkaSpec
{
    private static readonly Subjects Dev = new("dev");
    private string _directory = null!;

    [SetUp]
    public void MakeDirectory() => _directory = Directory.CreateTempSubdirectory("nimmerverse-npc-").FullName;

    [TearDown]
    public void RemoveDirectory() => Directory.Delete(_directory, recursive: true);

    private string Script(string body)
    {
        var path = Path.Combine(_directory, $"brain-{Guid.NewGuid():N}");
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }

    private static NpcHostSettings Settings(string brain, int maxRestarts = 3) => new(
        brain, 1, 5, "small", "nats://127.0.0.1:4222", "dev",
        RestartDelay: TimeSpan.FromMilliseconds(100), StopTimeout: TimeSpan.FromSeconds(3), SpawnInterval: TimeSpan.Zero,
        MaxRestartDelay: TimeSpan.FromSeconds(1), MaxRestarts: maxRestarts, RestartWindow: TimeSpan.FromSeconds(30));

    private NpcLifecycleBody ExpectEvent(Akka.TestKit.TestProbe bridge, string lifecycleEvent, TimeSpan? within = null)
    {
        var published = bridge.ExpectMsg<Publish<NpcLifecycleBody>>(within ?? TimeSpan.FromSeconds(10));
        Assert.That(published.Subject.Value, Is.EqualTo("dev.supervisor.theia.npc"));
        Assert.That(published.Envelope.Body.Problem(), Is.Null);
        Assert.That(published.Envelope.Body.Event, Is.EqualTo(lifecycleEvent), published.Envelope.Body.ToString());
        return published.Envelope.Body;
    }

    [Test]
    public void A_crashing_brain_is_restarted_with_growing_delays_then_given_up()
    {
        var bridge = CreateTestProbe();
        Sys.ActorOf(NpcProcessActor.Props(4, Settings(Script("exit 3")), bridge.Ref, Dev, "theia"));

        var spawned = ExpectEvent(bridge, "spawned");
        Assert.That(spawned.Pid, Is.GreaterThan(0));
        var exits = new List<DateTimeOffset>();
        var starts = new List<DateTimeOffset>();
        Assert.That(ExpectEvent(bridge, "exited").ExitCode, Is.EqualTo(3));
        exits.Add(DateTimeOffset.UtcNow);
        for (var restart = 1; restart <= 3; restart++)
        {
            Assert.That(ExpectEvent(bridge, "restarted").Restarts, Is.EqualTo(restart));
            starts.Add(DateTimeOffset.UtcNow);
            ExpectEvent(bridge, "exited");
            exits.Add(DateTimeOffset.UtcNow);
        }

        var gaveUp = ExpectEvent(bridge, "gave-up");
        Assert.That(gaveUp.Detail, Does.Contain("more than 3 restarts within 00:00:30"));
        bridge.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        // Nominal waits 100, 200, 400 ms, each -20 % at worst. Lower bounds only: a busy machine
        // makes a restart later, never earlier (RestartPolicyTests check the exact schedule).
        var waits = starts.Select((s, i) => (s - exits[i]).TotalMilliseconds).ToArray();
        Assert.That(waits[0], Is.GreaterThanOrEqualTo(80), string.Join(", ", waits));
        Assert.That(waits[1], Is.GreaterThanOrEqualTo(160), string.Join(", ", waits));
        Assert.That(waits[2], Is.GreaterThanOrEqualTo(320), string.Join(", ", waits));
    }

    [Test]
    public void A_brain_killed_by_a_signal_is_reported_with_the_signal()
    {
        var bridge = CreateTestProbe();
        Sys.ActorOf(NpcProcessActor.Props(5, Settings(Script("kill -9 $$")), bridge.Ref, Dev, "theia"));

        ExpectEvent(bridge, "spawned");
        var exited = ExpectEvent(bridge, "exited");

        Assert.That((exited.Signal, exited.ExitCode), Is.EqualTo(((int?)9, (int?)null)));
    }

    [Test]
    public void A_graceful_stop_sends_SIGTERM_and_waits_for_the_brain()
    {
        var bridge = CreateTestProbe();
        var marker = Path.Combine(_directory, "terminated");
        var ready = Path.Combine(_directory, "ready");
        var npc = Sys.ActorOf(NpcProcessActor.Props(6, Settings(Script($"trap 'touch {marker}; exit 0' TERM\ntouch {ready}\nwhile true; do sleep 0.1; done")), bridge.Ref, Dev, "theia"));
        ExpectEvent(bridge, "spawned");
        AwaitCondition(() => File.Exists(ready), TimeSpan.FromSeconds(5)); // its trap is set

        npc.Tell(StopGracefully.Instance, TestActor);

        ExpectMsg<Stopped>(TimeSpan.FromSeconds(5));
        Assert.That(ExpectEvent(bridge, "exited").ExitCode, Is.Zero);
        Assert.That(File.Exists(marker), "the brain got SIGTERM, not SIGKILL");
        bridge.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Test]
    public void A_brain_that_ignores_SIGTERM_is_killed_after_the_stop_timeout()
    {
        var bridge = CreateTestProbe();
        var ready = Path.Combine(_directory, "ready");
        var npc = Sys.ActorOf(NpcProcessActor.Props(7, Settings(Script($"trap '' TERM\ntouch {ready}\nwhile true; do sleep 0.1; done")), bridge.Ref, Dev, "theia"));
        ExpectEvent(bridge, "spawned");
        AwaitCondition(() => File.Exists(ready), TimeSpan.FromSeconds(5)); // SIGTERM is ignored from here on

        npc.Tell(StopGracefully.Instance, TestActor);

        ExpectMsg<Stopped>(TimeSpan.FromSeconds(10));
        Assert.That(ExpectEvent(bridge, "exited").Signal, Is.EqualTo(9));
    }
}
