using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Nimmerverse.Protocol;

namespace Nimmerverse.Testing.Fuzz;

/// <summary>What a hostile fuzz did to a running supervisor, measured from outside.</summary>
public sealed record FuzzReport(
    FuzzSent Sent,
    IReadOnlyDictionary<string, long> RejectedByReason,
    long Dropped,
    long Restarts,
    IReadOnlyList<string> StoppedActors,
    int LogLines,
    double ResidentBeforeMiB,
    double PeakResidentMiB,
    int BrainsBefore,
    int BrainsKilled,
    TimeSpan SlowestStatus,
    TimeSpan SlowestMath,
    int Unanswered,
    string? FirstProbeFailure,
    ulong GateMessagesWaiting)
{
    public double LogLinesPerMinute => LogLines / Math.Max(Sent.Took.TotalMinutes, 1.0 / 60);

    public override string ToString()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"sent {Sent.Messages} hostile messages in {Sent.Took.TotalSeconds:0.0} s to {Sent.ByTarget.Count} subjects");
        text.AppendLine(CultureInfo.InvariantCulture, $"  by mutation: {Join(Sent.ByMutation)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  replies by type: {Join(Sent.RepliesByType)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"rejected by reason: {Join(RejectedByReason)} (total {RejectedByReason.Values.Sum()}); dropped {Dropped}");
        text.AppendLine(CultureInfo.InvariantCulture, $"actor restarts: {Restarts}; stopped for good: {(StoppedActors.Count == 0 ? "none" : string.Join(' ', StoppedActors))}");
        text.AppendLine(CultureInfo.InvariantCulture, $"log lines during the fuzz: {LogLines} ({LogLinesPerMinute:0} a minute)");
        text.AppendLine(CultureInfo.InvariantCulture, $"resident memory: {ResidentBeforeMiB:0} MiB before, peak {PeakResidentMiB:0} MiB");
        text.AppendLine(CultureInfo.InvariantCulture, $"slowest answer during the fuzz: /api/status {SlowestStatus.TotalMilliseconds:0} ms, math cell {SlowestMath.TotalMilliseconds:0} ms; {Unanswered} probes unanswered in time{(FirstProbeFailure is null ? "" : $" (first failure: {FirstProbeFailure})")}");
        text.AppendLine(CultureInfo.InvariantCulture, $"gate transitions waiting in JetStream afterwards: {GateMessagesWaiting}");
        text.Append(CultureInfo.InvariantCulture, $"brains: {BrainsBefore} before, {BrainsKilled} killed or replaced");
        return text.ToString();
    }

    private static string Join<T>(IReadOnlyDictionary<string, T> counts) =>
        counts.Count == 0 ? "none" : string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"));
}

/// <summary>
/// Runs <see cref="HostileFuzzer"/> against a running supervisor and measures it from outside: its
/// counters before and after (<c>/api/status</c>), its resident memory sampled throughout, its log
/// lines, its brains (by process id), and every second whether <c>/api/status</c> and the math cell
/// still answer within a second.
/// </summary>
public static class FuzzRun
{
    public static async Task<FuzzReport> RunAsync(
        int supervisorPid, HttpClient http, NatsConnection nats, Func<int> logLines, int count, double perSecond, int seed, int population, TimeSpan? answerWithin = null)
    {
        var within = answerWithin ?? TimeSpan.FromSeconds(1);
        // The subscriptions are listed once the bridge answers; a busy machine may need a few tries.
        var before = await StatusAsync(http).ConfigureAwait(false);
        for (var attempt = 0; attempt < 15 && before.GetProperty("nats").GetProperty("subscriptions").GetArrayLength() == 0; attempt++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            before = await StatusAsync(http).ConfigureAwait(false);
        }

        var environment = before.GetProperty("environment").GetString()!;
        var brainsBefore = ProcessTree.BrainsOf(supervisorPid);
        var linesBefore = logLines();
        var residentBefore = ProcessTree.ResidentMiB(supervisorPid);

        using var stop = new CancellationTokenSource();
        var peak = residentBefore;
        var sampling = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, ProcessTree.ResidentMiB(supervisorPid));
                await Task.Delay(100).ConfigureAwait(false);
            }
        });
        var slowestStatus = TimeSpan.Zero;
        var slowestMath = TimeSpan.Zero;
        var unanswered = 0;
        string? firstFailure = null;
        var probing = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var (status, statusFailure) = await TimeAsync(() => StatusAsync(http)).ConfigureAwait(false);
                var (math, mathFailure) = await TimeAsync(() => AskMathAsync(nats, environment)).ConfigureAwait(false);
                firstFailure ??= statusFailure is null ? mathFailure is null ? null : $"math cell: {mathFailure}" : $"/api/status: {statusFailure}";
                slowestStatus = Max(slowestStatus, status);
                slowestMath = Max(slowestMath, math);
                unanswered += (status > within ? 1 : 0) + (math > within ? 1 : 0);
                await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            }
        });

        var sent = await HostileFuzzer.RunAsync(nats, HostileFuzzer.TargetsOf(before), count, perSecond, seed, population).ConfigureAwait(false);
        // Let the last of it pass through before the counters are read.
        await Task.Delay(TimeSpan.FromSeconds(3)).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(sampling, probing).ConfigureAwait(false);

        var after = await StatusAsync(http).ConfigureAwait(false);
        var brainsAfter = ProcessTree.BrainsOf(supervisorPid);
        var stopped = after.GetProperty("actors").GetProperty("stopped").EnumerateArray().Select(s => s.GetProperty("path").GetString()!).ToList();
        return new FuzzReport(
            sent,
            Difference(before, after, "rejected"),
            Difference(before, after, "dropped").Values.Sum(),
            after.GetProperty("actors").GetProperty("restarts").GetInt64() - before.GetProperty("actors").GetProperty("restarts").GetInt64(),
            stopped,
            logLines() - linesBefore,
            residentBefore,
            peak,
            brainsBefore.Count,
            brainsBefore.Count(b => !brainsAfter.TryGetValue(b.Key, out var pid) || pid != b.Value),
            slowestStatus,
            slowestMath,
            unanswered,
            firstFailure,
            await GateMessagesWaitingAsync(nats, environment).ConfigureAwait(false));
    }

    private static async Task<JsonElement> StatusAsync(HttpClient http)
    {
        using var timeout = new CancellationTokenSource(ProbeTimeout);
        var text = await http.GetStringAsync(new Uri("/api/status", UriKind.Relative), timeout.Token).ConfigureAwait(false);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task AskMathAsync(INatsConnection nats, string environment)
    {
        var request = WireCodec.Default.Encode(new Envelope<CellRequestBody>(MessageHeader.New<CellRequestBody>(new MessageSource("fuzz-probe", "test", 1)), new CellRequestBody("add", [40, 2])));
        var reply = await nats.RequestAsync<byte[], byte[]>($"{environment}.nervous.cells.math.request", request, replyOpts: new NatsSubOpts { Timeout = ProbeTimeout }).ConfigureAwait(false);
        if (WireCodec.Default.Decode<CellResponseBody>(reply.Data).Envelope?.Body.Result != 42)
        {
            throw new InvalidOperationException("the math cell answered wrongly");
        }
    }

    /// <summary>How long a probe may take before it counts as failed.</summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long <paramref name="probe"/> took; a failure or a timeout counts as the probe timeout, and says why.</summary>
    private static async Task<(TimeSpan Took, string? Failure)> TimeAsync(Func<Task> probe)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            await probe().ConfigureAwait(false);
            return (clock.Elapsed, null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or NatsException or InvalidOperationException or TimeoutException)
        {
            return (ProbeTimeout, $"{e.GetType().Name}: {e.Message} after {clock.Elapsed.TotalMilliseconds:0} ms");
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static Dictionary<string, long> Difference(JsonElement before, JsonElement after, string counter)
    {
        long Read(JsonElement status, string reason) =>
            status.GetProperty("nats").GetProperty(counter).TryGetProperty(reason, out var value) ? value.GetInt64() : 0;

        return after.GetProperty("nats").GetProperty(counter).EnumerateObject()
            .Select(p => (p.Name, Count: p.Value.GetInt64() - Read(before, p.Name)))
            .Where(p => p.Count > 0)
            .ToDictionary(p => p.Name, p => p.Count);
    }

    /// <summary>Messages the gate recorder's durable consumer has not yet acknowledged (0 where there is none).</summary>
    private static async Task<ulong> GateMessagesWaitingAsync(NatsConnection nats, string environment)
    {
        var jetStream = new NatsJSContext(nats);
        try
        {
            // The recorder acknowledges in batches every second or so; give it a few.
            ulong waiting = 0;
            for (var attempt = 0; attempt < 10; attempt++)
            {
                var consumer = await jetStream.GetConsumerAsync($"NIMMERVERSE_{environment.ToUpperInvariant()}_GATES", "gate-transitions-recorder").ConfigureAwait(false);
                waiting = consumer.Info.NumPending + (ulong)consumer.Info.NumAckPending;
                if (waiting == 0)
                {
                    break;
                }

                await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            }

            return waiting;
        }
        catch (NatsJSApiException)
        {
            return 0;
        }
    }
}
