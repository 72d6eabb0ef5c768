using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Akka.Actor;
using NATS.Client.Core;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Actors.Thalamus;
using Nimmerverse.Protocol;
using Nimmerverse.Testing.Nats;
using static Nimmerverse.Actors.Thalamus.ThalamusMessages;

namespace Nimmerverse.Bench;

/// <summary>
/// The nervous path (issues 3 and 18). Throughput: the same wave payloads through (a) raw NATS.Net
/// publish and subscribe and (b) NATS -> bridge -> thalamus gates, in one run on one nats-server; the
/// ratio b/a is the figure (target at least 0.9). Allocation: bytes the bridge process allocates per
/// wave at a steady offered rate (target at most 256). Latency: waves offered at a fixed rate, one in
/// N opening a gate of its own, timed from publish to the gate transition seen by a plain subscriber,
/// against raw NATS in the same run (target p99 at most 1.5x).
/// </summary>
internal static class NatsBridgeBenchmark
{
    private static readonly MessageSource Source = new("bench", "cell", 1);

    public static async Task RunAsync(int waves, int rate, TimeSpan duration)
    {
        await using var server = await NatsServer.StartAsync();
        Console.WriteLine($"nats-server {server.Url}; {Environment.ProcessorCount} cores; {waves} waves for throughput, {rate}/s for {duration.TotalSeconds} s for latency");
        var payloads = Enumerable.Range(0, waves).Select(i => Wave($"d{i % 64}", 0.5)).ToArray();

        var (_, transportBytes) = await RawThroughputAsync(server.Url, payloads, decode: false);
        var (raw, rawBytes) = await RawThroughputAsync(server.Url, payloads, decode: true);
        var (bridged, bridgedBytes) = await BridgeThroughputAsync(server.Url, payloads);
        Console.WriteLine($"throughput  raw NATS.Net + full decode: {raw,10:N0} waves/s");
        Console.WriteLine($"throughput  bridge+gates:               {bridged,10:N0} waves/s");
        Console.WriteLine($"ratio bridge/raw: {bridged / raw:F2} (target >= 0.90)");
        Console.WriteLine($"allocated in a flood, per wave: NATS.Net alone {transportBytes:N0} B, raw + full decode {rawBytes:N0} B, bridge+gates {bridgedBytes:N0} B");

        // Background waves only (one trigger, the first): what a wave costs the bridge and the gates when it moves no gate.
        var (_, steadyBytes) = await LatencyAsync(server.Url, rate, duration, triggerEvery: int.MaxValue, raw: true);
        Console.WriteLine($"allocated at {rate} waves/s moving no gate: {steadyBytes:N0} B per wave in the bridge process (target <= 256 B)");
        var (rawLatency, rawBytes10) = await LatencyAsync(server.Url, rate, duration, triggerEvery: 10, raw: true);
        Console.WriteLine($"latency  raw NATS publish -> subscriber, {rate} waves/s offered: {rawLatency}");
        Console.WriteLine($"         meanwhile the bridge took every wave, 1 in 10 opening a gate: {rawBytes10:N0} B allocated per wave, transitions included");
        foreach (var triggerEvery in new[] { 10, 1 })
        {
            var (gateLatency, bytes) = await LatencyAsync(server.Url, rate, duration, triggerEvery, raw: false);
            Console.WriteLine($"latency  wave -> gate transition, {rate} waves/s offered, 1 in {triggerEvery} opening a gate: {gateLatency}");
            Console.WriteLine($"         p99 against raw p99: {gateLatency.P99 / rawLatency.P99:F2}x (target <= 1.5x); {bytes:N0} B allocated per wave, transitions included");
        }
    }

    private static byte[] Wave(string domain, double confidence) =>
        WireCodec.Default.Encode(Envelopes.Of(Source, new WaveBody(domain, confidence, JsonDocument.Parse("""{"reading": 0.42}""").RootElement, 0.1)));

    /// <summary>Bytes this process allocated (every thread) since <paramref name="before"/>, per wave.</summary>
    private static double AllocatedPerWave(long before, int waves) => (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)waves;

    /// <summary>
    /// Raw NATS.Net publish and subscribe; with <paramref name="decode"/> the subscriber decodes each wave in
    /// full (the least any consumer must do: the throughput baseline), without it only receives (what
    /// NATS.Net itself allocates: the floor under the bridge's allocation).
    /// </summary>
    private static async Task<(double WavesPerSecond, double BytesPerWave)> RawThroughputAsync(string url, byte[][] payloads, bool decode)
    {
        await using var publisher = new NatsConnection(new NatsOpts { Url = url });
        await using var subscriber = new NatsConnection(new NatsOpts { Url = url, SubPendingChannelCapacity = 2 * payloads.Length });
        await using var subscription = await subscriber.SubscribeCoreAsync<byte[]>("dev.nervous.cells.bench.wave");
        await subscriber.PingAsync();
        (double, double) result = default;
        for (var pass = 0; pass < 2; pass++)
        {
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var clock = Stopwatch.StartNew();
            var consume = Task.Run(async () =>
            {
                for (var i = 0; i < payloads.Length; i++)
                {
                    var message = await subscription.Msgs.ReadAsync();
                    if (decode)
                    {
                        _ = WireCodec.Default.Decode<WaveBody>(message.Data);
                    }
                }
            });
            foreach (var payload in payloads)
            {
                await publisher.PublishAsync("dev.nervous.cells.bench.wave", payload);
            }

            await consume;
            result = (payloads.Length / clock.Elapsed.TotalSeconds, AllocatedPerWave(allocated, payloads.Length));
        }

        return result; // the second pass: compiled, buffers grown
    }

    private static async Task<(double WavesPerSecond, double BytesPerWave)> BridgeThroughputAsync(string url, byte[][] payloads)
    {
        using var system = ActorSystem.Create("bench", "akka.loglevel = WARNING");
        await using var publisher = new NatsConnection(new NatsOpts { Url = url });
        await using var bridgeConnection = new NatsConnection(new NatsOpts { Url = url });
        var counters = new BridgeCounters();
        var bridge = system.ActorOf(NatsBridgeActor.Props(bridgeConnection, NatsBridgeSettings.Default with { SubscriptionBuffer = 2 * payloads.Length }, "dev", counters));
        var thalamus = system.ActorOf(ThalamusActor.Props(bridge, new Subjects("dev"), GateSettings.Default, "bench"));
        // Warm up until the subscription is live and the path is compiled: a wave reaches a gate.
        await WaitUntilAsync(async () =>
        {
            await publisher.PublishAsync("dev.nervous.cells.bench.wave", Wave("warmup", 0.5));
            return (await thalamus.Ask<GateStates>(GetGates.Instance)).Gates.Count > 0;
        }, TimeSpan.FromSeconds(10));
        // Two passes, the second measured: by then the gates' windows have grown to hold a pass's waves
        // (a steady organism's gates do not grow), and the path is compiled.
        (double, double) result = default;
        for (var pass = 0; pass < 2; pass++)
        {
            var baseline = counters.Snapshot().Delivered;
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var clock = Stopwatch.StartNew();
            foreach (var payload in payloads)
            {
                await publisher.PublishAsync("dev.nervous.cells.bench.wave", payload);
            }

            await WaitUntilAsync(() => Task.FromResult(counters.Snapshot().Delivered - baseline >= payloads.Length), TimeSpan.FromMinutes(2));
            // Gates handle waves in order: once this is answered, every delivered wave went through a gate.
            await thalamus.Ask<GateStates>(GetGates.Instance, TimeSpan.FromMinutes(1));
            result = (payloads.Length / clock.Elapsed.TotalSeconds, AllocatedPerWave(allocated, payloads.Length));
        }

        await system.Terminate();
        return result;
    }

    /// <summary>
    /// Latency from a wave's publish to the transition it causes, measured by a separate driver
    /// process (as the lab's publishers are other processes) while this process hosts only the
    /// bridge and the thalamus. One wave in <paramref name="triggerEvery"/> opens a gate of its own;
    /// the others are neutral background waves on 64 domains. With <paramref name="raw"/> the driver
    /// times its own waves straight from NATS instead: the floor the bridge path cannot beat.
    /// </summary>
    private static async Task<(LatencySummary Latency, double BytesPerWave)> LatencyAsync(string url, int rate, TimeSpan duration, int triggerEvery, bool raw)
    {
        using var system = ActorSystem.Create("bench-latency", "akka.loglevel = WARNING");
        await using var bridgeConnection = new NatsConnection(new NatsOpts { Url = url });
        var total = (int)(rate * duration.TotalSeconds);
        // A gate per trigger wave that opens on its first wave: weight 0.6 > the 0.5 threshold; no decay steps.
        var gates = GateSettings.Default with { WaveWeight = 0.6, MaxGates = total + 1_000, StepInterval = TimeSpan.FromHours(1) };
        var counters = new BridgeCounters();
        var bridge = system.ActorOf(NatsBridgeActor.Props(bridgeConnection, NatsBridgeSettings.Default with { SubscriptionBuffer = total + 1_000 }, "dev", counters));
        system.ActorOf(ThalamusActor.Props(bridge, new Subjects("dev"), gates, "bench"));
        await Task.Delay(500); // the subscriptions are set up, outside what is counted

        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            // Started as "dotnet Nimmerverse.Bench.dll": the driver is this same assembly.
            start.ArgumentList.Add(typeof(NatsBridgeBenchmark).Assembly.Location);
        }

        foreach (var argument in new[] { "drive", url, rate.ToString(CultureInfo.InvariantCulture), duration.TotalSeconds.ToString(CultureInfo.InvariantCulture), triggerEvery.ToString(CultureInfo.InvariantCulture), raw ? "raw" : "gates" })
        {
            start.ArgumentList.Add(argument);
        }

        // What this process allocates while the driver runs, per wave the bridge took: the steady cost
        // of the nervous path (the throughput flood above piles waves up in buffers instead).
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var driver = Process.Start(start)!;
        var output = await driver.StandardOutput.ReadToEndAsync();
        await driver.WaitForExitAsync();
        var bytesPerWave = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)Math.Max(counters.Snapshot().Delivered, 1);
        await system.Terminate();
        return (LatencySummary.Parse(output), bytesPerWave);
    }

    /// <summary>The driver process: publishes at the offered rate and times what it watches.</summary>
    public static async Task DriveAsync(string url, int rate, TimeSpan duration, int triggerEvery, bool raw)
    {
        await using var publisher = new NatsConnection(new NatsOpts { Url = url });
        await using var watcher = new NatsConnection(new NatsOpts { Url = url, SubPendingChannelCapacity = 1_000_000 });
        var total = (int)(rate * duration.TotalSeconds);
        // Trigger waves have a subject of their own, so the raw watcher times exactly the waves the
        // gate path times, and decodes no more than it (the bridge still gets every wave).
        const string triggerSubject = "dev.nervous.cells.trigger.wave";
        await using var watched = await watcher.SubscribeCoreAsync<byte[]>(raw ? triggerSubject : "dev.thalamus.gate.open");
        await watcher.PingAsync();

        // Warm up the path (JIT, subscriptions, JetStream stream) until warm-up waves come back.
        var warm = 0;
        for (var round = 0; round < 100 && warm < 50; round++)
        {
            for (var i = 0; i < 10; i++)
            {
                await publisher.PublishAsync(triggerSubject, Wave($"warm{round}-{i}", 1));
            }

            await Task.Delay(50);
            while (watched.Msgs.TryRead(out _))
            {
                warm++;
            }
        }

        await Task.Delay(500);
        while (watched.Msgs.TryRead(out _))
        {
        }

        var sentAt = new long[total];
        var ids = new Dictionary<Guid, int>(total);
        var messages = new byte[total][];
        var subjects = new string[total];
        var triggers = 0;
        for (var i = 0; i < total; i++)
        {
            var trigger = i % triggerEvery == 0;
            subjects[i] = trigger ? triggerSubject : "dev.nervous.cells.bench.wave";
            var envelope = Envelopes.Of(Source, trigger
                ? new WaveBody($"w{i}", 1, JsonDocument.Parse("{}").RootElement, 0.1)
                : new WaveBody($"background{i % 64}", 0.5, JsonDocument.Parse("{}").RootElement, 0.1));
            if (trigger)
            {
                ids[envelope.Header.MessageId] = i;
                triggers++;
            }

            messages[i] = WireCodec.Default.Encode(envelope);
        }

        var latencies = new List<double>(triggers);
        var collect = Task.Run(async () =>
        {
            using var deadline = new CancellationTokenSource(duration + TimeSpan.FromSeconds(30));
            try
            {
                while (latencies.Count < triggers)
                {
                    var message = await watched.Msgs.ReadAsync(deadline.Token);
                    var now = Stopwatch.GetTimestamp();
                    Guid? id = raw
                        ? WireCodec.Default.Decode<WaveBody>(message.Data).Envelope?.Header.MessageId
                        : WireCodec.Default.Decode<GateTransitionBody>(message.Data).Envelope?.Body.TriggerWaves[^1];
                    if (id is { } waveId && ids.TryGetValue(waveId, out var index))
                    {
                        latencies.Add(Stopwatch.GetElapsedTime(sentAt[index], now).TotalMilliseconds);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        // Offer at a fixed rate without burning a core: every millisecond, send what is due by then.
        var start = Stopwatch.GetTimestamp();
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(1));
        for (var sent = 0; sent < total && await tick.WaitForNextTickAsync();)
        {
            var due = Math.Min(total, (int)(Stopwatch.GetElapsedTime(start).TotalSeconds * rate));
            for (; sent < due; sent++)
            {
                sentAt[sent] = Stopwatch.GetTimestamp();
                await publisher.PublishAsync(subjects[sent], messages[sent]);
            }
        }

        await collect;
        Console.WriteLine(LatencySummary.Of(latencies).ToString());
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the benchmark's condition did not hold in time");
            }

            await Task.Delay(10);
        }
    }
}

/// <summary>Percentiles of one latency run, in milliseconds; printed by the driver and parsed back.</summary>
internal sealed record LatencySummary(double P50, double P99, double Max, int Count)
{
    public static LatencySummary Of(List<double> latencies)
    {
        latencies.Sort();
        return latencies.Count == 0
            ? new LatencySummary(double.NaN, double.NaN, double.NaN, 0)
            : new LatencySummary(latencies[latencies.Count / 2], latencies[(int)(latencies.Count * 0.99)], latencies[^1], latencies.Count);
    }

    public static LatencySummary Parse(string text)
    {
        var parts = text.Trim().Split(' ');
        return new LatencySummary(
            double.Parse(parts[1], CultureInfo.InvariantCulture), double.Parse(parts[4], CultureInfo.InvariantCulture),
            double.Parse(parts[7], CultureInfo.InvariantCulture), int.Parse(parts[10], CultureInfo.InvariantCulture));
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"p50 {P50:F2} ms p99 {P99:F2} ms max {Max:F2} ms over {Count} samples");
}
