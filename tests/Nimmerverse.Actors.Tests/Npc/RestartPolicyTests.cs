using Nimmerverse.Actors.Npc;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Npc;

[Category(TestTier.Unit)]
public sealed class RestartPolicyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    [Test]
    public void Delays_double_with_jitter_up_to_the_maximum()
    {
        var policy = new RestartPolicy(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), maxRestarts: 10, TimeSpan.FromMinutes(10), new Random(1));

        var delays = Enumerable.Range(0, 6).Select(i => policy.NextDelay(T0.AddSeconds(i))!.Value.TotalSeconds).ToArray();

        double[] nominal = [1, 2, 4, 5, 5, 5];
        for (var i = 0; i < delays.Length; i++)
        {
            Assert.That(delays[i], Is.InRange(nominal[i] * 0.8, nominal[i] * 1.2), $"restart {i + 1}");
        }

        Assert.That(delays.Distinct().Count(), Is.GreaterThan(1), "jitter varies the waits");
    }

    [Test]
    public void Too_many_restarts_within_the_window_give_up_but_old_ones_are_forgotten()
    {
        var window = TimeSpan.FromSeconds(60);
        var policy = new RestartPolicy(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), maxRestarts: 3, window, new Random(2));

        Assert.That(policy.NextDelay(T0), Is.Not.Null);
        Assert.That(policy.NextDelay(T0.AddSeconds(10)), Is.Not.Null);
        Assert.That(policy.NextDelay(T0.AddSeconds(20)), Is.Not.Null);
        Assert.That(policy.NextDelay(T0.AddSeconds(30)), Is.Null, "a fourth within a minute");

        var later = new RestartPolicy(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), maxRestarts: 3, window, new Random(2));
        later.NextDelay(T0);
        later.NextDelay(T0.AddSeconds(10));
        later.NextDelay(T0.AddSeconds(20));
        var afterQuiet = later.NextDelay(T0.AddSeconds(75));
        Assert.That(afterQuiet, Is.Not.Null, "the first two fell out of the window");
        Assert.That(later.RecentRestarts, Is.EqualTo(2));
    }
}
