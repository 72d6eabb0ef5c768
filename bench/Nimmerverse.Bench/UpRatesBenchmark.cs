using NATS.Client.Core;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;

namespace Nimmerverse.Bench;

/// <summary>
/// Whether the brains of a running <c>./nimmerverse up</c> keep the rates the governor commands. It
/// listens to every NPC state for a window and compares, between each two consecutive states of one
/// NPC, the ticks that passed with the rate the brain reported running at (times from the states'
/// headers, stamped by the brains). The governor changes rates every epoch, and a tick just after a
/// change still comes on the old schedule, so intervals over a change are reported apart from the
/// steady ones; the trailing <c>measured_rate_hz</c> that <c>nimmerverse npcs</c> shows lags every
/// change, which is why this counts ticks instead.
/// </summary>
public static class UpRatesBenchmark
{
    public static async Task<int> RunAsync(TimeSpan window)
    {
        var urlFile = Path.Combine(RepositoryPaths.State, "nats", "url");
        if (!File.Exists(urlFile))
        {
            Console.Error.WriteLine($"no {urlFile}: start `./nimmerverse up > up.log 2>&1 &` first");
            return 69;
        }

        var natsUrl = (await File.ReadAllTextAsync(urlFile).ConfigureAwait(false)).Trim();
        var creds = Path.Combine(RepositoryPaths.State, "identities", "creds", "operator-dev.creds");
        await using var nats = new NatsConnection(new NatsOpts { Url = natsUrl, AuthOpts = File.Exists(creds) ? new NatsAuthOpts { CredsFile = creds } : NatsAuthOpts.Default });
        var states = new Dictionary<int, List<(DateTimeOffset At, long Tick, double RateHz, double LagMs)>>();
        Console.WriteLine($"listening to dev.npc.*.state on {natsUrl} for {window.TotalSeconds:F0} s");
        using var stop = new CancellationTokenSource(window);
        try
        {
            await foreach (var message in nats.SubscribeAsync<byte[]>("dev.npc.*.state", cancellationToken: stop.Token).ConfigureAwait(false))
            {
                if (WireCodec.Default.Decode<NpcStateBody>(message.Data ?? []).Envelope is { } envelope)
                {
                    var body = envelope.Body;
                    if (!states.TryGetValue(body.NpcId, out var list))
                    {
                        states[body.NpcId] = list = [];
                    }

                    list.Add((envelope.Header.Timestamp, body.Tick, body.TickRateHz, body.TickLagMs));
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        var steady = new Tally();
        var overChange = new Tally();
        var lags = new List<double>();
        foreach (var list in states.Values)
        {
            list.Sort((a, b) => a.At.CompareTo(b.At));
            for (var i = 1; i < list.Count; i++)
            {
                var (before, after) = (list[i - 1], list[i]);
                var ticks = after.Tick - before.Tick;
                if (ticks <= 0)
                {
                    continue; // a restarted brain counts from 0 again
                }

                var seconds = (after.At - before.At).TotalSeconds;
                // The later state's rate is the one its tick was scheduled by (the clock applies a new rate from the next tick).
                var tally = before.RateHz == after.RateHz ? steady : overChange;
                tally.Add(ticks, after.RateHz * seconds, seconds > 1.5 / after.RateHz);
                lags.Add(after.LagMs);
            }
        }

        if (lags.Count == 0)
        {
            Console.Error.WriteLine("no NPC sent two states in the window: is `./nimmerverse up` running with a population?");
            return 1;
        }

        var all = steady.Plus(overChange);
        Console.WriteLine($"{states.Count} NPCs, {all.Intervals} intervals between states");
        Console.WriteLine($"  steady rate:        {steady}");
        Console.WriteLine($"  over a rate change: {overChange}");
        Console.WriteLine($"  all:                {all}");
        Console.WriteLine($"  tick lag p50 {BenchSupport.Percentile(lags, 0.5):F1} ms, p99 {BenchSupport.Percentile(lags, 0.99):F1} ms, max {lags.Max():F1} ms");
        return 0;
    }

    /// <summary>Ticks that came against ticks the reported rates called for.</summary>
    private sealed class Tally
    {
        public long Intervals { get; private set; }

        public long Ticks { get; private set; }

        public double Expected { get; private set; }

        public long Gaps { get; private set; }

        public void Add(long ticks, double expected, bool gap)
        {
            Intervals++;
            Ticks += ticks;
            Expected += expected;
            Gaps += gap ? 1 : 0;
        }

        public Tally Plus(Tally other) => new() { Intervals = Intervals + other.Intervals, Ticks = Ticks + other.Ticks, Expected = Expected + other.Expected, Gaps = Gaps + other.Gaps };

        public override string ToString() =>
            $"{Ticks} ticks against {Expected:F0} commanded: ratio {(Expected > 0 ? Ticks / Expected : 0):F3}; {Gaps} of {Intervals} intervals longer than 1.5 periods";
    }
}
