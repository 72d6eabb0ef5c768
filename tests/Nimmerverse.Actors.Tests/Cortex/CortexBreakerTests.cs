using Microsoft.Extensions.Time.Testing;
using Nimmerverse.Actors.Cortex;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Cortex;

[Category(TestTier.Unit)]
public sealed class CortexBreakerTests
{
    private readonly FakeTimeProvider _clock = new();

    [Test]
    public void It_opens_after_the_failures_in_a_row_and_not_before()
    {
        var breaker = new CortexBreaker(3, TimeSpan.FromSeconds(5), _clock);
        Assert.That(breaker.Failed(), Is.False);
        breaker.Succeeded();
        Assert.That(breaker.Failed() || breaker.Failed(), Is.False, "a success in between starts the count again");
        Assert.That(breaker.Failed(), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(breaker.State, Is.EqualTo(BreakerState.Open));
            Assert.That(breaker.Refusing, Is.True);
            Assert.That(breaker.TryStart(), Is.False);
            Assert.That(breaker.Openings, Is.EqualTo(1));
        });
    }

    [Test]
    public void After_its_time_one_probe_goes_and_decides()
    {
        var breaker = new CortexBreaker(1, TimeSpan.FromSeconds(5), _clock);
        breaker.Failed();
        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Multiple(() =>
        {
            Assert.That(breaker.Refusing, Is.False, "requests are admitted again to wait for the probe");
            Assert.That(breaker.TryStart(), Is.True, "the probe");
            Assert.That(breaker.State, Is.EqualTo(BreakerState.HalfOpen));
            Assert.That(breaker.TryStart(), Is.False, "one probe at a time");
        });

        Assert.That(breaker.Failed(), Is.True, "a failed probe opens it again at once");
        Assert.That(breaker.Refusing, Is.True);
        _clock.Advance(TimeSpan.FromSeconds(5));
        Assert.That(breaker.TryStart(), Is.True);
        breaker.Succeeded();
        Assert.Multiple(() =>
        {
            Assert.That(breaker.State, Is.EqualTo(BreakerState.Closed));
            Assert.That(breaker.TryStart() && breaker.TryStart(), Is.True, "closed: no limit of its own");
        });
    }

    [Test]
    public void A_probe_abandoned_for_the_requests_sake_lets_the_next_one_probe()
    {
        var breaker = new CortexBreaker(1, TimeSpan.FromSeconds(1), _clock);
        breaker.Failed();
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(breaker.TryStart(), Is.True);
        breaker.Abandoned();
        Assert.That(breaker.TryStart(), Is.True);
    }
}
