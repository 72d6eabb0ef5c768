using System.Diagnostics;
using Akka.Actor;
using NATS.Client.Core;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Actors.Organs;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Media;
using Nimmerverse.Testing.Nats;

namespace Nimmerverse.Bench;

/// <summary>
/// The organs through the bus against the same organ process called directly, real backends and a
/// real nats-server, baselines in the same run:
/// 1. per organ, a cold request (nothing loaded), warm requests one after another and warm requests from four callers
///    at once, through NATS → gateway → manager → organ process, against starting that organ process and calling it
///    directly;
/// 2. a mixed vision and speech-to-text load on one card, random arrivals: model switches per minute
///    and the p99 wait with the grouping (a minimum residency, a maximum wait) against first come,
///    first served (no residency, no wait: the card goes to whichever organ's call is oldest).
/// </summary>
internal static class OrganBenchmark
{
    private static readonly MessageSource Bench = new("bench", "test", 2);
    private static readonly byte[] Image = PngEncoder.Rectangles(320, 240, (30, 40, 80, 60), (180, 120, 100, 70));

    public static async Task RunAsync(int warm, TimeSpan mixed, double rate, TimeSpan residency)
    {
        var executable = RepositoryPaths.OrganExecutable;
        await using var nats = await NatsServer.StartAsync();
        using var system = ActorSystem.Create("organ-bench");
        var ledger = system.ActorOf(LifeforceLedgerActor.Props());
        ledger.Tell(new LifeforceLedgerMessages.Earn(1e9, "bench", "enough for every call"));

        byte[] speech;
        using (var speaker = await OrganProcess.StartAsync(executable, OrganNames.TextToSpeech, "0", TimeSpan.FromSeconds(60), CancellationToken.None))
        {
            speech = await speaker.Client.SpeakAsync("turn left", CancellationToken.None);
            await speaker.StopAsync(TimeSpan.FromSeconds(2));
        }

        var work = new Dictionary<string, (OrganRequestBody Request, Func<OrganClient, Task> Direct)>
        {
            [OrganNames.TextToSpeech] = (new OrganRequestBody("operator", Text: "turn left", TimeoutMs: 60_000), c => c.SpeakAsync("turn left", CancellationToken.None)),
            [OrganNames.SpeechToText] = (new OrganRequestBody("operator", Media: speech, TimeoutMs: 60_000), c => c.TranscribeAsync(speech, CancellationToken.None)),
            [OrganNames.Vision] = (new OrganRequestBody("operator", Media: Image, TimeoutMs: 60_000), c => c.DetectAsync(Image, CancellationToken.None)),
        };

        Console.WriteLine($"organs: {warm} warm requests per organ, one at a time; a cold one first; {executable}");
        var dev = await StartOrgansAsync(system, nats, ledger, "dev", new OrganManagerSettings { Executable = executable, Cards = ["0", "1", "2"], KeepWarm = "" });
        foreach (var (organ, (request, direct)) in work)
        {
            var started = Stopwatch.GetTimestamp();
            using var process = await OrganProcess.StartAsync(executable, organ, "0", TimeSpan.FromSeconds(60), CancellationToken.None);
            await direct(process.Client);
            var directCold = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            started = Stopwatch.GetTimestamp();
            var cold = await AskAsync(dev.Client, dev.Subjects, organ, request);
            var busCold = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            Console.WriteLine($"{organ} cold: through the bus {busCold:F0} ms (load {cold.LoadMs:F0} ms, work {cold.WorkMs:F0} ms); direct: start the process and ask {directCold:F0} ms");

            // Alternating order, so neither path always runs second.
            var a = await TimedAsync(warm, () => direct(process.Client));
            var b = await TimedAsync(warm, () => AskAsync(dev.Client, dev.Subjects, organ, request));
            var c = await TimedAsync(warm, () => direct(process.Client));
            var d = await TimedAsync(warm, () => AskAsync(dev.Client, dev.Subjects, organ, request));
            var (directRun, busRun) = (Run.Of(a.Concat(c)), Run.Of(b.Concat(d)));
            Console.WriteLine(
                $"{organ} warm: direct {directRun.PerSecond:F1}/s (p50 {directRun.P50:F1} ms, p99 {directRun.P99:F1} ms); through the bus {busRun.PerSecond:F1}/s " +
                $"(p50 {busRun.P50:F1} ms, p99 {busRun.P99:F1} ms); throughput ratio {busRun.PerSecond / directRun.PerSecond:F3} (target >= 0.9)");

            // Throughput as a service sees it: several callers at once. The organ works one request at a time either way
            // (its own lane directly, the card through the bus), so what the bus costs shows only between requests.
            var directLoaded = await ThroughputAsync(warm, InFlight, () => direct(process.Client)) + await ThroughputAsync(warm, InFlight, () => direct(process.Client));
            var busLoaded = await ThroughputAsync(warm, InFlight, () => AskAsync(dev.Client, dev.Subjects, organ, request)) + await ThroughputAsync(warm, InFlight, () => AskAsync(dev.Client, dev.Subjects, organ, request));
            Console.WriteLine($"{organ} warm, {InFlight} in flight: direct {directLoaded / 2:F1}/s; through the bus {busLoaded / 2:F1}/s; throughput ratio {busLoaded / directLoaded:F3} (target >= 0.9)");
            await process.StopAsync(TimeSpan.FromSeconds(2));
        }

        Console.WriteLine($"mixed load on one card: vision and speech-to-text at random, {rate:F1} requests/s for {mixed.TotalSeconds:F0} s each way, the same arrivals");
        var grouped = await StartOrgansAsync(system, nats, ledger, "staging", new OrganManagerSettings { Executable = executable, Cards = ["0"], KeepWarm = "", MinResidency = residency });
        var fcfs = await StartOrgansAsync(system, nats, ledger, "prod", new OrganManagerSettings { Executable = executable, Cards = ["0"], KeepWarm = "", MinResidency = TimeSpan.Zero, MaxWait = TimeSpan.FromTicks(1) });
        var seed = Environment.TickCount;
        foreach (var (name, organs) in new[] { ($"grouped (residency {residency.TotalSeconds:0.#} s, max wait 20 s)", grouped), ("first come, first served", fcfs) })
        {
            var (switches, waits, served) = await MixedAsync(organs, work, mixed, rate, seed);
            var sorted = waits.Order().ToList();
            Console.WriteLine(
                $"{name}: {served} answered, {switches / mixed.TotalMinutes:F1} switches/min, wait p50 {BenchSupport.Percentile(sorted, 0.5):F0} ms, p99 {BenchSupport.Percentile(sorted, 0.99):F0} ms, max {sorted[^1]:F0} ms");
        }

        await system.Terminate();
    }

    private sealed record Organs(NatsConnection Client, Subjects Subjects);

    private sealed record Run(double PerSecond, double P50, double P99)
    {
        public static Run Of(IEnumerable<double> latencies)
        {
            var sorted = latencies.Order().ToList();
            return new Run(sorted.Count / (sorted.Sum() / 1000), BenchSupport.Percentile(sorted, 0.5), BenchSupport.Percentile(sorted, 0.99));
        }
    }

    /// <summary>A bridge, a manager and a gateway for one environment (its own queue group, so each runs apart).</summary>
    private static async Task<Organs> StartOrgansAsync(ActorSystem system, NatsServer nats, IActorRef ledger, string environment, OrganManagerSettings settings)
    {
        var bridgeConnection = new NatsConnection(new NatsOpts { Url = nats.Url, Name = $"bridge-{environment}" });
        await bridgeConnection.ConnectAsync();
        var subjects = new Subjects(environment);
        var bridge = system.ActorOf(NatsBridgeActor.Props(bridgeConnection, NatsBridgeSettings.Default, environment, new BridgeCounters()));
        var manager = system.ActorOf(OrganManagerActor.Props(settings));
        system.ActorOf(OrganGatewayActor.Props(settings, bridge, ledger, manager, subjects, "bench"));
        var client = new NatsConnection(new NatsOpts { Url = nats.Url, Name = $"asker-{environment}" });
        await client.ConnectAsync();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await AskAsync(client, subjects, OrganNames.Vision, new OrganRequestBody("operator", Text: "not an image"));
                return new Organs(client, subjects);
            }
            catch (NatsNoRespondersException) when (attempt < 100)
            {
                await Task.Delay(100);
            }
        }
    }

    private static async Task<OrganResponseBody> AskAsync(NatsConnection client, Subjects subjects, string organ, OrganRequestBody request)
    {
        var reply = await client.RequestAsync<byte[], byte[]>(
            subjects.OrganRequest(organ).Value, OrganRequestBody.Codec.Encode(Envelopes.Of(Bench, request)), replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(120) });
        var answer = OrganRequestBody.Codec.Decode<OrganResponseBody>(reply.Data!).Envelope?.Body ?? throw new InvalidOperationException("not an organ_response");
        return answer.Status == RequestStatus.Answered || answer.Reason == OrganReasons.InvalidRequest
            ? answer
            : throw new InvalidOperationException($"{organ}: {answer.Status} {answer.Reason}: {answer.Detail}");
    }

    /// <summary>Callers at once in the loaded throughput run.</summary>
    private const int InFlight = 4;

    /// <summary>Requests per second of <paramref name="requests"/> calls made by <paramref name="callers"/> callers at once.</summary>
    private static async Task<double> ThroughputAsync(int requests, int callers, Func<Task> one)
    {
        var left = requests;
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(async _ =>
        {
            while (Interlocked.Decrement(ref left) >= 0)
            {
                await one();
            }
        }));
        return requests / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static async Task<List<double>> TimedAsync(int requests, Func<Task> one)
    {
        var latencies = new List<double>(requests);
        for (var i = 0; i < requests; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await one();
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return latencies;
    }

    /// <summary>Poisson arrivals of vision and speech-to-text calls at <paramref name="rate"/> a second; the card's switches are counted from the organs' <c>loading</c> states.</summary>
    private static async Task<(int Switches, List<double> Waits, int Served)> MixedAsync(
        Organs organs, Dictionary<string, (OrganRequestBody Request, Func<OrganClient, Task> Direct)> work, TimeSpan duration, double rate, int seed)
    {
        var switches = 0;
        using var stop = new CancellationTokenSource();
        var counting = Task.Run(async () =>
        {
            await foreach (var message in organs.Client.SubscribeAsync<byte[]>($"{organs.Subjects.Environment}.organs.*.state", cancellationToken: stop.Token))
            {
                if (WireCodec.Default.Decode<OrganStateBody>(message.Data!).Envelope?.Body.State == OrganStates.Loading)
                {
                    Interlocked.Increment(ref switches);
                }
            }
        });
        await Task.Delay(200);
        var random = new Random(seed);
        var calls = new List<Task<OrganResponseBody>>();
        var clock = Stopwatch.StartNew();
        var next = 0.0;
        while ((next += -Math.Log(1 - random.NextDouble()) / rate) < duration.TotalSeconds)
        {
            var delay = TimeSpan.FromSeconds(next) - clock.Elapsed;
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay);
            }

            var organ = random.Next(2) == 0 ? OrganNames.Vision : OrganNames.SpeechToText;
            calls.Add(AskAsync(organs.Client, organs.Subjects, organ, work[organ].Request));
        }

        var answers = await Task.WhenAll(calls);
        await Task.Delay(500);
        await stop.CancelAsync();
        await counting.ContinueWith(_ => { }, TaskScheduler.Default);
        return (switches, answers.Select(a => a.WaitMs).ToList(), answers.Length);
    }
}
