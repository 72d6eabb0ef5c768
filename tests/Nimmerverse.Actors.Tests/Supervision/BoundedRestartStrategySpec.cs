using Akka.Actor;
using Akka.Event;
using Akka.TestKit;
using Nimmerverse.Actors.Supervision;
using Nimmerverse.Testing;
using Nimmerverse.Testing.TestKit;

namespace Nimmerverse.Actors.Tests.Supervision;

/// <summary>The supervisor's top-level actors under the guardian strategy it configures: one poison message is one restart; a poison stream stops the actor for good after a bounded few, logged a bounded few times.</summary>
[Category(TestTier.Unit)]
public sealed class BoundedRestartStrategySpec() : AkkaSpec(BoundedRestartStrategy.GuardianHocon)
{
    private sealed class Fragile : ReceiveActor
    {
        private readonly IActorRef _observer;

        public Fragile(IActorRef observer)
        {
            _observer = observer;
            Receive<string>(m => m == "poison", _ => throw new InvalidOperationException("the content was a number"));
            Receive<string>(m => m == "ping", _ => Sender.Tell("pong"));
        }

        protected override void PreStart() => _observer.Tell("started");
    }

    /// <summary>The watcher, once it has subscribed (its first message is processed after its PreStart).</summary>
    private SupervisionCounters StartWatcher()
    {
        var counters = new SupervisionCounters();
        Sys.ActorOf(SupervisionWatcherActor.Props(counters), "supervision").Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(5)).Wait();
        return counters;
    }

    private (IActorRef Actor, TestProbe Starts, SupervisionCounters Counters, TestProbe Errors) Start()
    {
        var counters = StartWatcher();
        var errors = CreateTestProbe();
        Sys.EventStream.Subscribe(errors.Ref, typeof(Error));
        var starts = CreateTestProbe();
        var actor = Sys.ActorOf(Props.Create(() => new Fragile(starts.Ref)), "nerve");
        starts.ExpectMsg("started");
        return (actor, starts, counters, errors);
    }

    [Test]
    public void One_poison_message_costs_one_restart_and_the_actor_serves_on()
    {
        var (actor, starts, counters, _) = Start();

        actor.Tell("poison");

        starts.ExpectMsg("started");
        actor.Tell("ping");
        ExpectMsg("pong");
        AwaitAssert(() => Assert.That(counters.Snapshot().RestartsByActor, Is.EqualTo(new Dictionary<string, long> { ["/user/nerve"] = 1 })));
        Assert.That(counters.Snapshot().Stopped, Is.Empty);
    }

    [Test]
    public void A_poison_stream_stops_the_actor_for_good_after_the_bounded_restarts_and_says_so_a_bounded_few_times()
    {
        var (actor, starts, counters, errors) = Start();
        Watch(actor);

        for (var i = 0; i < 100; i++)
        {
            actor.Tell("poison");
        }

        ExpectTerminated(actor, TimeSpan.FromSeconds(10));
        var restarts = 0;
        while (starts.HasMessages)
        {
            starts.ExpectMsg("started");
            restarts++;
        }

        Assert.That(restarts, Is.EqualTo(BoundedRestartStrategy.MaxRestarts), "restarted exactly the bounded number of times");
        AwaitAssert(() =>
        {
            var stats = counters.Snapshot();
            Assert.That(stats.Restarts, Is.EqualTo(BoundedRestartStrategy.MaxRestarts));
            Assert.That(stats.Stopped.Select(s => (s.Path, s.Exception)), Is.EqualTo(new[] { ("/user/nerve", nameof(InvalidOperationException)) }));
        }, TimeSpan.FromSeconds(10)); // the watcher counts from the event stream: seconds on a loaded machine

        // The first failure and the final stop; the nine restarts in between are held back.
        var logged = errors.ReceiveWhile(TimeSpan.FromMilliseconds(500), m => (Error)m).Select(e => e.Message.ToString()!).ToList();
        Assert.That(logged, Has.Count.EqualTo(2), string.Join("\n", logged));
        Assert.That(logged[0], Does.Contain("/user/nerve failed and is restarted (1 of 10 within 60 s)"));
        Assert.That(logged[1], Does.Contain("/user/nerve failed more than 10 times within 60 s and is stopped for good"));
    }

    [Test]
    public void An_actor_that_cannot_be_built_is_stopped_at_once_not_restarted()
    {
        var counters = StartWatcher();
        var broken = Sys.ActorOf(Props.Create(() => new Broken()), "broken");
        Watch(broken);

        ExpectTerminated(broken);
        Assert.That(counters.Snapshot().Restarts, Is.Zero);
    }

    private sealed class Broken : ReceiveActor
    {
        public Broken() => throw new InvalidOperationException("bad settings");
    }
}
