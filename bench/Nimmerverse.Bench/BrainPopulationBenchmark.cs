using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using NATS.Client.Core;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Actors.Npc;
using Nimmerverse.Actors.World;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Nats;

namespace Nimmerverse.Bench;

/// <summary>
/// N brain processes at a fixed tick rate on this machine, per engine: achieved tick rate against
/// the commanded one, p99 tick lag, private memory and RSS per brain, and spawn-to-first-state
/// time; the torch engine's row is the lean engine's baseline in the same run. The world and the checkpoint keeper run in this process
/// behind a real nats-server, as in the supervisor; checkpoints are kept in memory here (the
/// PostgreSQL store is not what is measured).
/// </summary>
public static class BrainPopulationBenchmark
{
    public static async Task RunAsync(IReadOnlyList<int> populations, double rateHz, TimeSpan window, IReadOnlyList<string> engines)
    {
        var brain = RepositoryPaths.BrainExecutable;
        Console.WriteLine($"brains from {brain}, {rateHz} Hz, {window.TotalSeconds:F0} s measured after all are up; {Environment.ProcessorCount} cores");
        Console.WriteLine();
        Console.WriteLine("engine |    N | achieved Hz (mean / min) | ratio to commanded | p99 lag ms | first state ms (p50 / max) | Private_Dirty MB (mean / max) | RSS MB (mean / max) | CPU % of a core per brain | CPU ms per tick");
        Console.WriteLine("-------|------|--------------------------|--------------------|------------|----------------------------|-------------------------------|---------------------|---------------------------|----------------");
        foreach (var n in populations)
        {
            foreach (var engine in engines)
            {
                var row = await MeasureAsync(brain, n, rateHz, window, engine);
                Console.WriteLine($"{engine,-6} | {row}");
            }
        }
    }

    /// <summary>
    /// One row. An engine written with <c>:paused</c> (<c>lean:paused</c>) has every brain paused once all are
    /// up, so the window measures an idle tick: a state published, no step, no learning.
    /// </summary>
    private static async Task<string> MeasureAsync(string brainPath, int n, double rateHz, TimeSpan window, string engine)
    {
        var paused = engine.EndsWith(":paused", StringComparison.Ordinal);
        engine = paused ? engine[..^":paused".Length] : engine;
        await using var server = await NatsServer.StartAsync();
        using var system = ActorSystem.Create("bench", "akka.loglevel = WARNING");
        await using var bridgeConnection = new NatsConnection(new NatsOpts { Url = server.Url });
        var bridge = system.ActorOf(NatsBridgeActor.Props(bridgeConnection, NatsBridgeSettings.Default, "dev", new BridgeCounters()));
        var subjects = new Subjects("dev");
        var ledger = system.ActorOf(LifeforceLedgerActor.Props());
        // The default arena: N citizens fill villages of 25.
        system.ActorOf(GridWorldActor.Props(bridge, ledger, subjects, GridWorldSettings.Default with { Citizens = n }, "bench"));
        system.ActorOf(CheckpointKeeperActor.Props(bridge, subjects, new MemoryCheckpoints(), "bench"));

        await using var watcher = new NatsConnection(new NatsOpts { Url = server.Url, SubPendingChannelCapacity = 1 << 20 });
        // Each state is timed by its header (stamped by the brain when it published): under saturation this
        // process's own watcher falls behind, and timing by arrival would count its backlog into the window.
        var states = new ConcurrentQueue<(int Npc, DateTimeOffset SentAt, NpcStateBody State)>();
        var first = new ConcurrentDictionary<int, DateTimeOffset>();
        await using var subscription = await watcher.SubscribeCoreAsync<byte[]>("dev.npc.*.state");
        await watcher.PingAsync();
        var reading = Task.Run(async () =>
        {
            await foreach (var message in subscription.Msgs.ReadAllAsync())
            {
                if (WireCodec.Default.Decode<NpcStateBody>(message.Data ?? []).Envelope is { } envelope)
                {
                    var sentAt = envelope.Header.Timestamp;
                    first.TryAdd(envelope.Body.NpcId, sentAt);
                    states.Enqueue((envelope.Body.NpcId, sentAt, envelope.Body));
                }
            }
        });
        await Task.Delay(500); // the world and the keeper subscribe

        var spawned = new Dictionary<int, (Process Process, DateTimeOffset At)>();
        for (var id = 0; id < n; id++)
        {
            var process = BenchSupport.StartQuiet(brainPath, ["--id", id.ToString(CultureInfo.InvariantCulture), "--tick-rate", rateHz.ToString(CultureInfo.InvariantCulture), "--nats", server.Url, "--checkpoint-every", "3600", "--engine", engine]);
            spawned[id] = (process, DateTimeOffset.UtcNow);
        }

        var allUp = await Eventually.TrueAsync(() => Task.FromResult(first.Count == n), TimeSpan.FromSeconds(300), TimeSpan.FromMilliseconds(50));
        var firstStateMs = spawned.Where(s => first.ContainsKey(s.Key)).Select(s => (first[s.Key] - s.Value.At).TotalMilliseconds).Order().ToArray();
        if (paused)
        {
            var operatorSource = new MessageSource("bench", "operator", 1);
            for (var id = 0; id < n; id++)
            {
                await watcher.PublishAsync(subjects.NpcCommand(id).Value, WireCodec.Default.Encode(Envelopes.Of(operatorSource, new NpcCommandBody("pause"))));
            }
        }

        // Let the start-up settle (JIT tiering, the replay memory filling, the first gradient steps),
        // then measure a clean window of steady learning.
        await Task.Delay(TimeSpan.FromSeconds(20));
        var cpuBefore = spawned.Values.Sum(s => { s.Process.Refresh(); return s.Process.TotalProcessorTime.TotalMilliseconds; });
        var windowStart = DateTimeOffset.UtcNow;
        await Task.Delay(window);
        var windowEnd = DateTimeOffset.UtcNow;
        var cpuAfter = spawned.Values.Sum(s => { s.Process.Refresh(); return s.Process.TotalProcessorTime.TotalMilliseconds; });
        var memory = spawned.Values.Select(s => Memory(s.Process.Id)).ToArray();
        // The states published in the window reach the watcher once it has caught up.
        var caughtUp = await Eventually.TrueAsync(() => Task.FromResult(states.Count(s => s.SentAt >= windowEnd) >= n), TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200));

        var inWindow = states.Where(s => s.SentAt >= windowStart && s.SentAt < windowEnd).ToArray();
        var seconds = (windowEnd - windowStart).TotalSeconds;
        var perBrain = Enumerable.Range(0, n).Select(id => inWindow.Count(s => s.Npc == id) / seconds).ToArray();
        var lags = inWindow.Select(s => s.State.TickLagMs).Order().ToArray();
        var pausedInWindow = inWindow.Count(s => s.State.Paused);

        foreach (var (process, _) in spawned.Values)
        {
            process.Kill();
        }

        foreach (var (process, _) in spawned.Values)
        {
            await process.WaitForExitAsync();
            process.Dispose();
        }

        await watcher.DisposeAsync();
        await system.Terminate();
        _ = reading;

        string Mb(double kb) => (kb / 1024).ToString("F0", CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture,
            $"{n,4} | {(caughtUp ? "" : "WATCHER BEHIND ")}{perBrain.Average(),11:F2} / {perBrain.Min(),-11:F2} | {perBrain.Average() / rateHz,18:F3} | {BenchSupport.Percentile(lags, 0.99),10:F1} | "
            + $"{(allUp ? "" : "NOT ALL UP ")}{BenchSupport.Percentile(firstStateMs, 0.5),12:F0} / {firstStateMs.LastOrDefault(),-12:F0} | "
            + $"{Mb(memory.Average(m => m.PrivateDirtyKb)),14} / {Mb(memory.Max(m => m.PrivateDirtyKb)),-13} | {Mb(memory.Average(m => m.RssKb)),9} / {Mb(memory.Max(m => m.RssKb)),-8} | "
            + $"{(cpuAfter - cpuBefore) / (seconds * 1000) / n * 100,25:F2} | {(cpuAfter - cpuBefore) / Math.Max(inWindow.Length, 1),8:F3}"
            + $"{(paused ? $" ({pausedInWindow} of {inWindow.Length} states paused)" : "")}");
    }


    /// <summary><c>Private_Dirty</c> from <c>/proc/PID/smaps_rollup</c> and <c>VmRSS</c> from <c>/proc/PID/status</c>, in kB.</summary>
    private static (double PrivateDirtyKb, double RssKb) Memory(int pid)
    {
        static double Field(string file, string name) =>
            File.ReadLines(file).Where(l => l.StartsWith(name + ":", StringComparison.Ordinal))
                .Select(l => double.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture)).FirstOrDefault();

        return (Field($"/proc/{pid}/smaps_rollup", "Private_Dirty"), Field($"/proc/{pid}/status", "VmRSS"));
    }
}
