using Microsoft.Extensions.Time.Testing;
using Nimmerverse.Actors.Logging;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Logging;

[Category(TestTier.Unit)]
public sealed class LogThrottleTests
{
    [Test]
    public void A_key_is_logged_once_per_interval_and_the_next_report_counts_what_was_held_back()
    {
        var clock = new FakeTimeProvider();
        var throttle = new LogThrottle(TimeSpan.FromMinutes(1), clock);

        Assert.That(throttle.ShouldLog("malformed", out var first), Is.True);
        Assert.That(first, Is.Zero);
        for (var i = 0; i < 5; i++)
        {
            Assert.That(throttle.ShouldLog("malformed", out _), Is.False);
        }

        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.That(throttle.ShouldLog("malformed", out _), Is.False, "still within the interval");
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(throttle.ShouldLog("malformed", out var heldBack), Is.True);
        Assert.That(heldBack, Is.EqualTo(6));
    }

    [Test]
    public void One_flooding_key_does_not_hold_back_another()
    {
        var throttle = new LogThrottle(TimeSpan.FromMinutes(1), new FakeTimeProvider());
        throttle.ShouldLog("malformed", out _);
        throttle.ShouldLog("malformed", out _);

        Assert.That(throttle.ShouldLog("postgres", out _), Is.True);
    }
}
