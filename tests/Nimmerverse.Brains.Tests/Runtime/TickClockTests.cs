using System.Diagnostics;
using Nimmerverse.Brains.Runtime;
using Nimmerverse.Testing;

namespace Nimmerverse.Brains.Tests.Runtime;

[Category(TestTier.Unit)]
public sealed class TickClockTests
{
    [Test]
    public async Task Ticks_do_not_drift_when_each_tick_takes_time()
    {
        var clock = new TickClock(50);
        var watch = Stopwatch.StartNew();
        double lastLate = 0, lastTickAt = 0;
        for (var i = 0; i < 25; i++)
        {
            lastLate = await clock.WaitAsync(CancellationToken.None);
            lastTickAt = watch.Elapsed.TotalMilliseconds;
            Thread.Sleep(15); // work inside the tick: a loop that sleeps a period after the work would take 25 x 35 = 875 ms
        }

        // Tick n is due n - 1 periods after the start, whatever the work took; ticks a stall made the
        // clock skip count too. So the last tick, less how late it reported itself, is due at
        // (24 + skipped) x 20 ms. The 10 ms allow for a preemption between the two readings; a
        // clock that drifted half a millisecond a tick would be 12 ms off.
        var due = (24 + clock.Skipped) * 20.0;
        Assert.That(lastTickAt - lastLate, Is.EqualTo(due).Within(10), $"skipped {clock.Skipped}, last {lastLate:F1} ms late");
    }

    [Test]
    public async Task A_rate_change_wakes_a_waiting_tick_which_comes_one_new_period_after_the_last_tick()
    {
        var clock = new TickClock(1);
        await clock.WaitAsync(CancellationToken.None);
        var watch = Stopwatch.StartNew();
        var waiting = clock.WaitAsync(CancellationToken.None);

        await Task.Delay(100);
        clock.SetRate(20);
        await waiting;

        // Not the rest of the old second: the new period (50 ms) since the last tick has passed, so at once
        // (bounds wide for a busy machine).
        Assert.That(watch.ElapsedMilliseconds, Is.InRange(90, 600));
        Assert.That(clock.RateHz, Is.EqualTo(20));
        Assert.That(clock.Skipped, Is.Zero, "no tick of the new rate was due before the change");
    }

    [Test]
    public async Task A_rate_sent_again_and_again_does_not_postpone_the_ticks()
    {
        // The governor re-sends each NPC's rate every epoch; here every 300 ms at 2 Hz (500 ms a tick). A clock
        // that restarted its period at each command would never tick after the first.
        var clock = new TickClock(2);
        using var resend = new Timer(_ => clock.SetRate(2), null, 300, 300);
        using var threeSeconds = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        var ticks = 0;
        try
        {
            while (true)
            {
                await clock.WaitAsync(threeSeconds.Token);
                ticks++;
            }
        }
        catch (OperationCanceledException)
        {
        }

        // Seven ticks in three seconds at 2 Hz (the first at once); four allow for a busy machine.
        Assert.That(ticks, Is.GreaterThanOrEqualTo(4));
    }

    [Test]
    public async Task Ticks_missed_entirely_are_skipped_and_counted_not_run_in_a_burst()
    {
        var clock = new TickClock(100);
        await clock.WaitAsync(CancellationToken.None);
        Thread.Sleep(105); // about ten periods lost

        await clock.WaitAsync(CancellationToken.None);
        var skipped = clock.Skipped;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 5; i++)
        {
            await clock.WaitAsync(CancellationToken.None);
        }

        Assert.That(skipped, Is.GreaterThanOrEqualTo(8), "the lost ticks were skipped, and counted");
        // A burst would run the ten lost ticks back to back, in well under a period; five ticks at
        // 100 Hz take about four periods or more. The bound is three periods: a timer may fire a
        // millisecond early against the stopwatch (CI once measured 37 ms for the four).
        Assert.That(watch.ElapsedMilliseconds, Is.GreaterThanOrEqualTo(30));
    }

    [Test]
    public void The_measured_rate_is_zero_before_two_ticks()
    {
        var meter = new RateMeter();
        meter.Tick();

        Assert.That(meter.RateHz(5), Is.Zero);
    }
}
