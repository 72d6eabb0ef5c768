using Akka.Actor;
using Nimmerverse.Actors.Organs;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;
using Nimmerverse.Testing.TestKit;

namespace Nimmerverse.Actors.Tests.Organs;

/// <summary>The organ manager with real <c>nimmerverse-organ</c> processes: loading on demand, warm calls, idle unloading, keep-warm, crashes.</summary>
[TestFixture]
[Category(TestTier.Unit)]
public sealed class OrganManagerSpec : AkkaSpec
{
    private static OrganManagerSettings Settings(TimeSpan idle) => new()
    {
        Executable = RepositoryPaths.OrganExecutable,
        IdleTimeout = idle,
        MinResidency = TimeSpan.Zero,
        RestartBackoff = TimeSpan.FromMilliseconds(200),
    };

    private static OrganCall Speak(string text) =>
        new(OrganNames.TextToSpeech, async (organ, cancellation) => await organ.SpeakAsync(text, cancellation), TimeSpan.FromSeconds(30));

    private static OrganCall Read(byte[] png) =>
        new(OrganNames.Vision, async (organ, cancellation) => await organ.DetectAsync(png, cancellation), TimeSpan.FromSeconds(30));

    private static byte[] Wave(OrganAnswered answer) => (byte[])answer.Result;

    /// <summary>A manager, and a probe that hears its organs' state changes.</summary>
    private (Akka.TestKit.TestProbe States, IActorRef Manager) Start(OrganManagerSettings settings)
    {
        var states = CreateTestProbe();
        Sys.EventStream.Subscribe(states.Ref, typeof(OrganStateChanged));
        return (states, Sys.ActorOf(OrganManagerActor.Props(settings)));
    }

    [Test]
    public void The_first_call_loads_the_organ_the_second_is_warm_and_idleness_unloads_it_and_frees_its_process()
    {
        var (states, manager) = Start(Settings(TimeSpan.FromSeconds(2)) with { KeepWarm = "" });

        manager.Tell(Speak("turn left"), TestActor);
        var cold = ExpectMsg<OrganAnswered>(TimeSpan.FromSeconds(60));
        manager.Tell(Speak("turn right"), TestActor);
        var warm = ExpectMsg<OrganAnswered>(TimeSpan.FromSeconds(30));

        Assert.That(cold.LoadTime, Is.GreaterThan(TimeSpan.Zero), "the first call waited for the load and says how long it took");
        Assert.That(warm.LoadTime, Is.Null, "the second found it loaded");
        Assert.That(Wave(cold).AsSpan(0, 4).ToArray(), Is.EqualTo("RIFF"u8.ToArray()));
        var ready = states.FishForMessage<OrganStateChanged>(s => s.State == OrganState.Ready, TimeSpan.FromSeconds(5));
        Assert.That(ready.Pid, Is.Not.Null);
        Assert.That(Directory.Exists($"/proc/{ready.Pid}"), Is.True);

        states.FishForMessage<OrganStateChanged>(s => s.State == OrganState.Unloading, TimeSpan.FromSeconds(10));
        var idle = states.FishForMessage<OrganStateChanged>(s => s.State == OrganState.Idle, TimeSpan.FromSeconds(10));
        Assert.That(idle.Reason, Does.Contain("unloaded"));
        Assert.That(Directory.Exists($"/proc/{ready.Pid}"), Is.False, "unloading is the process gone, reaped, its memory back");
    }

    [Test]
    public void A_keep_warm_organ_outlives_the_idle_timeout()
    {
        var (states, manager) = Start(Settings(TimeSpan.FromMilliseconds(500)));

        manager.Tell(Speak("stop"), TestActor);
        ExpectMsg<OrganAnswered>(TimeSpan.FromSeconds(60));
        states.FishForMessage<OrganStateChanged>(s => s.State == OrganState.Processing, TimeSpan.FromSeconds(5));
        var ready = states.FishForMessage<OrganStateChanged>(s => s.State == OrganState.Ready, TimeSpan.FromSeconds(5));

        states.ExpectNoMsg(TimeSpan.FromSeconds(3));
        Assert.That(Directory.Exists($"/proc/{ready.Pid}"), Is.True);
    }

    [Test]
    public void With_one_card_a_second_organ_waits_for_the_first_to_leave_and_they_never_overlap()
    {
        var (states, manager) = Start(Settings(TimeSpan.FromSeconds(30)));

        manager.Tell(Speak("move forward"), TestActor);
        ExpectMsg<OrganAnswered>(TimeSpan.FromSeconds(60));
        var speaker = states.FishForMessage<OrganStateChanged>(s => s.State == OrganState.Ready, TimeSpan.FromSeconds(5));
        manager.Tell(Read(System.Text.Encoding.ASCII.GetBytes("not an image")), TestActor);

        var refused = ExpectMsg<OrganCallFailed>(TimeSpan.FromSeconds(60));
        Assert.That(refused.Reason, Is.EqualTo(OrganReasons.InputRefused), "a bad image is the input's fault: the organ stays");
        Assert.That(Directory.Exists($"/proc/{speaker.Pid}"), Is.False, "the speaker left the only card before vision loaded on it");
    }

    [Test]
    public void A_killed_organ_is_loaded_again_when_next_asked()
    {
        var (states, manager) = Start(Settings(TimeSpan.FromSeconds(30)));
        manager.Tell(Speak("turn left"), TestActor);
        ExpectMsg<OrganAnswered>(TimeSpan.FromSeconds(60));
        var first = states.FishForMessage<OrganStateChanged>(s => s.State == OrganState.Ready, TimeSpan.FromSeconds(5));

        System.Diagnostics.Process.GetProcessById(first.Pid!.Value).Kill();
        var died = states.FishForMessage<OrganStateChanged>(s => s.State == OrganState.Idle, TimeSpan.FromSeconds(10));
        manager.Tell(Speak("turn right"), TestActor);
        var again = ExpectMsg<OrganAnswered>(TimeSpan.FromSeconds(60));

        Assert.That(died.Reason, Does.Contain("died"));
        Assert.That(again.LoadTime, Is.Not.Null, "it was loaded again");
    }

    [Test]
    public void An_unknown_organ_is_refused_at_once()
    {
        var manager = Sys.ActorOf(OrganManagerActor.Props(Settings(TimeSpan.FromSeconds(30))));

        manager.Tell(new OrganCall("smell", (_, _) => Task.FromResult<object>(0), TimeSpan.FromSeconds(5)), TestActor);

        Assert.That(ExpectMsg<OrganCallFailed>().Reason, Is.EqualTo(OrganReasons.InvalidRequest));
    }

    [Test]
    public void An_organs_own_settings_file_is_its_config_and_a_bad_one_fails_its_load()
    {
        var directory = Directory.CreateTempSubdirectory("nimmerverse-organs-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(directory, "text-to-speech.json"), """{"Organ": {"WordsPerMinute": 9999}}""");
            var (_, manager) = Start(Settings(TimeSpan.FromSeconds(30)) with { ConfigDirectory = directory });

            manager.Tell(Speak("stop"), TestActor);
            var failed = ExpectMsg<OrganCallFailed>(TimeSpan.FromSeconds(60));
            manager.Tell(Read(System.Text.Encoding.ASCII.GetBytes("not an image")), TestActor);

            Assert.That(failed.Reason, Is.EqualTo(OrganReasons.LoadFailed));
            Assert.That(failed.Detail, Does.Contain("78"), "the organ refused its settings (exit 78)");
            Assert.That(ExpectMsg<OrganCallFailed>(TimeSpan.FromSeconds(60)).Reason, Is.EqualTo(OrganReasons.InputRefused), "vision has no file of its own and loads as it is");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public void A_ready_organ_that_stops_answering_its_health_check_is_killed_and_loaded_again_when_next_asked()
    {
        var (states, manager) = Start(Settings(TimeSpan.FromSeconds(30)) with { HealthCheckInterval = TimeSpan.FromMilliseconds(300) });
        manager.Tell(Speak("stop"), TestActor);
        ExpectMsg<OrganAnswered>(TimeSpan.FromSeconds(60));
        var ready = states.FishForMessage<OrganStateChanged>(s => s.State == OrganState.Ready && s.Pid is not null, TimeSpan.FromSeconds(5));

        using (var freeze = System.Diagnostics.Process.Start("kill", ["-STOP", ready.Pid!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            freeze.WaitForExit();
        }

        var idle = states.FishForMessage<OrganStateChanged>(s => s.State == OrganState.Idle, TimeSpan.FromSeconds(20));
        Assert.That(idle.Reason, Does.Contain("health check"));
        AwaitCondition(() => !Directory.Exists($"/proc/{ready.Pid}"), TimeSpan.FromSeconds(5));
        manager.Tell(Speak("stop"), TestActor);
        Assert.That(ExpectMsg<OrganAnswered>(TimeSpan.FromSeconds(60)).LoadTime, Is.Not.Null, "a new process answered");
    }
}
