using System.Diagnostics;
using Nimmerverse.Brains.Runtime;

namespace Nimmerverse.Brains.Tests.Runtime;

public sealed class TickClockTests
{
    [Test]
    public async Task Ticks_do_not_drift_when_each_tick_takes_time()
    {
        var clock = new TickClock(50);
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 25; i++)
        {
            await clock.WaitAsync(CancellationToken.None);
            Thread.Sleep(8); // work inside the tick: a naive sleep-after-work loop would take 25 x 28 ms
        }

        // 25 ticks at 50 Hz are due at 0..480 ms; the last one ends 8 ms later.
        Assert.That(watch.ElapsedMilliseconds, Is.InRange(480, 800));
    }

    [Test]
    public async Task A_rate_change_wakes_a_waiting_tick_and_the_next_one_comes_one_new_period_later()
    {
        var clock = new TickClock(1);
        await clock.WaitAsync(CancellationToken.None);
        var watch = Stopwatch.StartNew();
        var waiting = clock.WaitAsync(CancellationToken.None);

        await Task.Delay(100);
        clock.SetRate(20);
        await waiting;

        // Not the rest of the old second: 100 ms, then one 50 ms period of the new rate (bounds wide for a busy machine).
        Assert.That(watch.ElapsedMilliseconds, Is.InRange(140, 700));
        Assert.That(clock.RateHz, Is.EqualTo(20));
    }

    [Test]
    public async Task Ticks_missed_entirely_are_skipped_and_counted_not_run_in_a_burst()
    {
        var clock = new TickClock(100);
        await clock.WaitAsync(CancellationToken.None);
        Thread.Sleep(105); // about ten periods lost

        var lag = await clock.WaitAsync(CancellationToken.None);
        var watch = Stopwatch.StartNew();
        await clock.WaitAsync(CancellationToken.None);

        Assert.That(clock.Skipped, Is.GreaterThanOrEqualTo(8));
        Assert.That(lag, Is.LessThan(10), "the tick it runs is the latest one due, at most a period late");
        Assert.That(watch.ElapsedMilliseconds, Is.GreaterThanOrEqualTo(3), "the next tick waits for its time instead of bursting");
    }

    [Test]
    public void The_measured_rate_is_zero_before_two_ticks()
    {
        var meter = new RateMeter();
        meter.Tick();

        Assert.That(meter.RateHz(5), Is.Zero);
    }
}
