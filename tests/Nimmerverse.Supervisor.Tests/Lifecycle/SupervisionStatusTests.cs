using Nimmerverse.Actors.Supervision;
using Nimmerverse.Supervisor.Lifecycle;
using Nimmerverse.Testing;

namespace Nimmerverse.Supervisor.Tests.Lifecycle;

[Category(TestTier.Unit)]
public sealed class SupervisionStatusTests
{
    [Test]
    public void The_status_line_says_nothing_of_actors_until_one_fails_then_counts_restarts_and_names_the_stopped()
    {
        var counters = new SupervisionCounters();
        var line = new StatusLine([new SupervisionStatusContributor(counters)]);
        Assert.That(line.Compose("running"), Is.EqualTo("running"));

        counters.Record(new ActorFailed("/user/nerve-collision", "InvalidOperationException", "boom", Restarting: true, GaveUp: false));
        counters.Record(new ActorFailed("/user/nerve-collision", "InvalidOperationException", "boom", Restarting: true, GaveUp: false));
        Assert.That(line.Compose("running"), Is.EqualTo("running; actors: 2 restarts"));

        counters.Record(new ActorFailed("/user/nerve-collision", "InvalidOperationException", "boom", Restarting: false, GaveUp: true));
        Assert.That(line.Compose("running"), Is.EqualTo("running; actors: 2 restarts, STOPPED /user/nerve-collision"));
        Assert.That(counters.Snapshot().Stopped.Single().Message, Is.EqualTo("boom"));
    }
}
