using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using Akka.Actor;
using NATS.Client.Core;
using Nimmerverse.Actors.Cortex;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Protocol;
using Nimmerverse.Testing.Nats;
using Nimmerverse.Testing.Nyx;
using OpenAI;
using OpenAI.Chat;

namespace Nimmerverse.Bench;

/// <summary>
/// The cortex gateway's cost and its priorities, against a real nimmerverse-nyx (the shipped tiny
/// model, priority scheduling) and a real nats-server, baselines in the same run:
/// 1. throughput and latency of requests through NATS → gateway → nyx against direct OpenAI SDK
///    calls to the same server, at the same concurrency, in alternating rounds;
/// 2. under saturation (one call in flight, a flood of requests), the p99 queue wait of
///    priority-10 NPCs against priority-0 NPCs.
/// </summary>
internal static class CortexBenchmark
{
    private static readonly Subjects Dev = new("dev");
    private static readonly MessageSource Bench = new("bench", "test", 4);

    public static async Task RunAsync(int requests, int concurrency, int rounds)
    {
        await using var nyx = await NyxServer.StartAsync(("NIMMERVERSE_NYX__SCHEDULING", "priority"));
        await using var nats = await NatsServer.StartAsync();
        using var system = ActorSystem.Create("cortex-bench");
        await using var bridgeConnection = new NatsConnection(new NatsOpts { Url = nats.Url, Name = "bridge" });
        await bridgeConnection.ConnectAsync();
        var bridge = system.ActorOf(NatsBridgeActor.Props(bridgeConnection, NatsBridgeSettings.Default, "dev", new BridgeCounters()));
        var ledger = system.ActorOf(LifeforceLedgerActor.Props());
        ledger.Tell(new LifeforceLedgerMessages.Earn(1e9, "bench", "enough for every call"));
        var settings = CortexSettings.Default with { Endpoint = nyx.ApiBase.ToString(), MaxConcurrent = concurrency, MaxQueue = 10_000, CallCost = 0.01, TokenCost = 0 };
        system.ActorOf(CortexGatewayActor.Props(settings, bridge, ledger, Dev, OpenAiCortexEndpoint.From(settings), "bench"));
        await using var client = new NatsConnection(new NatsOpts { Url = nats.Url, Name = "asker" });
        await client.ConnectAsync();
        await ReadyAsync(client);

        Console.WriteLine($"cortex: {requests} requests of 16 tokens at concurrency {concurrency}, {rounds} rounds; nyx {nyx.ApiBase} (tiny model, one generation at a time per model)");
        var direct = new ChatClient("nyx", new ApiKeyCredential("none"), new OpenAIClientOptions { Endpoint = nyx.ApiBase, RetryPolicy = new ClientRetryPolicy(0) });
        // Warm both paths (JIT, connection pools) before anything is timed.
        await DirectAsync(direct, 50, concurrency);
        await ThroughGatewayAsync(client, 50, concurrency);
        var ratios = new List<double>();
        var capacity = 0.0;
        for (var round = 1; round <= rounds; round++)
        {
            // Alternating order, so neither path always runs on a warmer server.
            var first = round % 2 == 1;
            var a = first ? await DirectAsync(direct, requests, concurrency) : await ThroughGatewayAsync(client, requests, concurrency);
            var b = first ? await ThroughGatewayAsync(client, requests, concurrency) : await DirectAsync(direct, requests, concurrency);
            var (sdk, viaGateway) = first ? (a, b) : (b, a);
            var ratio = viaGateway.PerSecond / sdk.PerSecond;
            ratios.Add(ratio);
            capacity = sdk.PerSecond;
            Console.WriteLine(
                $"round {round}: direct SDK {sdk.PerSecond:F1}/s (p50 {sdk.P50:F1} ms, p99 {sdk.P99:F1} ms); through NATS and the gateway {viaGateway.PerSecond:F1}/s " +
                $"(p50 {viaGateway.P50:F1} ms, p99 {viaGateway.P99:F1} ms); throughput ratio {ratio:F3} (target >= 0.9), added p50 {viaGateway.P50 - sdk.P50:F1} ms, p99 {viaGateway.P99 - sdk.P99:F1} ms");
        }

        Console.WriteLine($"throughput ratio over {rounds} rounds: min {ratios.Min():F3}, median {BenchSupport.Percentile([.. ratios.Order()], 0.5):F3}");
        await using var stagingConnection = new NatsConnection(new NatsOpts { Url = nats.Url, Name = "bridge-staging" });
        await PrioritiesAsync(system, stagingConnection, ledger, nyx, nats, requests, capacity);
        await system.Terminate(); // before the connections its bridges use are disposed
    }

    private sealed record Run(double PerSecond, double P50, double P99);

    private static async Task ReadyAsync(NatsConnection client)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await AskAsync(client, "operator");
                return;
            }
            catch (NatsNoRespondersException) when (attempt < 100)
            {
                await Task.Delay(100);
            }
        }
    }

    private static CortexRequestBody Question(string requester) =>
        new(requester, [new CortexMessage("user", "Lily went to the park.")], 16, ResponseTimeoutMs: 60_000);

    private static async Task<CortexResponseBody> AskAsync(NatsConnection client, string requester, Subjects? environment = null)
    {
        var reply = await client.RequestAsync<byte[], byte[]>(
            (environment ?? Dev).CortexRequest.Value, WireCodec.Default.Encode(Envelopes.Of(Bench, Question(requester))), replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(120) });
        return WireCodec.Default.Decode<CortexResponseBody>(reply.Data!).Envelope?.Body ?? throw new InvalidOperationException("not a cortex_response");
    }

    private static async Task<Run> TimedAsync(int requests, int concurrency, Func<Task> one)
    {
        var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
        var left = requests;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Decrement(ref left) >= 0)
            {
                var started = Stopwatch.GetTimestamp();
                await one();
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        })));
        var sorted = latencies.Order().ToList();
        return new Run(requests / clock.Elapsed.TotalSeconds, BenchSupport.Percentile(sorted, 0.5), BenchSupport.Percentile(sorted, 0.99));
    }

    private static Task<Run> DirectAsync(ChatClient direct, int requests, int concurrency) =>
        TimedAsync(requests, concurrency, () => direct.CompleteChatAsync([new UserChatMessage("Lily went to the park.")], new ChatCompletionOptions { MaxOutputTokenCount = 16 }));

    private static Task<Run> ThroughGatewayAsync(NatsConnection client, int requests, int concurrency) =>
        TimedAsync(requests, concurrency, async () =>
        {
            var answer = await AskAsync(client, "operator");
            if (answer.Status != RequestStatus.Answered)
            {
                throw new InvalidOperationException($"{answer.Status} {answer.Reason}: {answer.Detail}");
            }
        });

    /// <summary>
    /// One call in flight, and requests arriving at 1.5 times what the server can answer (<paramref name="capacity"/>
    /// per second), from two NPCs in turn, of priority 10 and 0: how long each waited in the queue.
    /// </summary>
    private static async Task PrioritiesAsync(ActorSystem system, NatsConnection bridgeConnection, IActorRef ledger, NyxServer nyx, NatsServer nats, int requests, double capacity)
    {
        // Its own environment (and bridge), so that the first gateway's queue group takes none of these.
        var staging = new Subjects("staging");
        var bridge = system.ActorOf(NatsBridgeActor.Props(bridgeConnection, NatsBridgeSettings.Default, "staging", new BridgeCounters()));
        var settings = CortexSettings.Default with { Endpoint = nyx.ApiBase.ToString(), MaxConcurrent = 1, MaxQueue = 10_000, CallCost = 0.01, TokenCost = 0 };
        system.ActorOf(CortexGatewayActor.Props(settings, bridge, ledger, staging, OpenAiCortexEndpoint.From(settings), "bench"));
        await using var urgent = new NatsConnection(new NatsOpts { Url = nats.Url, InboxPrefix = staging.NpcInboxPrefix(1) });
        await using var patient = new NatsConnection(new NatsOpts { Url = nats.Url, InboxPrefix = staging.NpcInboxPrefix(2) });
        for (var attempt = 0; ; attempt++)
        {
            foreach (var id in new[] { 1, 2 })
            {
                await urgent.PublishAsync(staging.NpcState(id).Value, WireCodec.Default.Encode(Envelopes.Of(Bench, new NpcStateBody(id, 1, 5, 5, 0, 0, 0, 0, 0, 0, 1e9, 0))));
            }

            await urgent.PublishAsync(staging.Allocation.Value, WireCodec.Default.Encode(Envelopes.Of(Bench, new AllocationBody(1, [new NpcAllocation(1, 5, 25, true, 10), new NpcAllocation(2, 5, 25, true, 0)]))));
            try
            {
                if ((await AskAsync(urgent, "npc-1", staging)).Status == RequestStatus.Answered && (await AskAsync(patient, "npc-2", staging)).Status == RequestStatus.Answered)
                {
                    break;
                }
            }
            catch (Exception e) when (e is NatsNoRespondersException or NatsNoReplyException && attempt < 100)
            {
            }

            await Task.Delay(200);
        }

        var interval = TimeSpan.FromSeconds(1 / (1.5 * capacity));
        var flood = new List<Task<CortexResponseBody>>();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < requests; i++)
        {
            flood.Add(i % 2 == 0 ? AskAsync(urgent, "npc-1", staging) : AskAsync(patient, "npc-2", staging));
            var due = interval * (i + 1);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed);
            }
        }

        var answers = await Task.WhenAll(flood);
        var p10 = answers.Where(a => a.Requester == "npc-1").Select(a => a.QueueMs).Order().ToList();
        var p0 = answers.Where(a => a.Requester == "npc-2").Select(a => a.QueueMs).Order().ToList();
        var (wait10, wait0) = (BenchSupport.Percentile(p10, 0.99), BenchSupport.Percentile(p0, 0.99));
        Console.WriteLine(
            $"saturated ({requests} requests arriving at {1.5 * capacity:F1}/s, 1.5 times capacity, one in flight): priority 10 queue wait p50 {BenchSupport.Percentile(p10, 0.5):F0} ms p99 {wait10:F0} ms; " +
            $"priority 0 p50 {BenchSupport.Percentile(p0, 0.5):F0} ms p99 {wait0:F0} ms; p99 ratio {wait0 / Math.Max(wait10, 1):F1}x shorter for priority 10 (target >= 5x)");
    }
}
