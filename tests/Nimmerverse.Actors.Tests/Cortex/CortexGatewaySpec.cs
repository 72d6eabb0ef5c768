using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using NATS.Client.Core;
using Nimmerverse.Actors.Cortex;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Nats;
using Nimmerverse.Testing.Nyx;
using Nimmerverse.Testing.TestKit;

namespace Nimmerverse.Actors.Tests.Cortex;

/// <summary>
/// The cortex gateway between a real nats-server and a real nimmerverse-nyx serving the shipped
/// tiny model (priority scheduling, as the lab's vLLM is asked to run): admission and its refusals,
/// the priority queue, deadlines, the breaker, lifeforce, bad answers. Requests come as an NPC's
/// would: from a connection whose inbox is that NPC's.
/// </summary>
[Category(TestTier.Integration)]
public sealed class CortexGatewaySpec : CortexSpec
{
    private static NyxServer _nyx = null!;

    [OneTimeSetUp]
    public static async Task StartNyx() => _nyx = await NyxServer.StartAsync(("NIMMERVERSE_NYX__SCHEDULING", "priority"));

    [OneTimeTearDown]
    public static async Task StopNyx() => await _nyx.DisposeAsync();

    private static CortexRequestBody Question(string requester, int maxTokens = 8, string? schema = null, int timeoutMs = 10_000, string text = "Lily went to the park.") =>
        new(requester, [new CortexMessage("user", text)], maxTokens, schema, timeoutMs);

    private static async Task<(CortexResponseBody Body, Guid RequestId, Guid? CorrelationId)> AskAsync(NatsConnection client, CortexRequestBody question, TimeSpan? wait = null)
    {
        var request = Envelopes.Of(Tester, question);
        var reply = await client.RequestAsync<byte[], byte[]>(Dev.CortexRequest.Value, WireCodec.Default.Encode(request), replyOpts: new NatsSubOpts { Timeout = wait ?? TimeSpan.FromSeconds(30) });
        var decoded = WireCodec.Default.Decode<CortexResponseBody>(reply.Data!);
        Assert.That(decoded.Envelope, Is.Not.Null, () => $"not a cortex_response: {Encoding.UTF8.GetString(reply.Data!)}");
        return (decoded.Envelope!.Body, request.Header.MessageId, decoded.Envelope.Header.CorrelationId);
    }

    /// <summary>The answer, or null while nobody answers (the gateway not subscribed yet).</summary>
    private static async Task<CortexResponseBody?> TryAskAsync(NatsConnection client, CortexRequestBody question)
    {
        try
        {
            return (await AskAsync(client, question, TimeSpan.FromSeconds(5))).Body;
        }
        catch (Exception e) when (e is NatsNoRespondersException or NatsNoReplyException)
        {
            return null;
        }
    }

    /// <summary>The governor's word (LLM gates and priorities) and each NPC's lifeforce, published until the gateway acts on them (NPC <paramref name="probe"/> is answered).</summary>
    private Task GovernAsync(NatsConnection probeClient, int probe, double lifeforce, params NpcAllocation[] npcs) => GovernAsync(probeClient, probe, _ => lifeforce, npcs);

    private async Task GovernAsync(NatsConnection probeClient, int probe, Func<int, double> lifeforce, params NpcAllocation[] npcs)
    {
        var outside = await ClientAsync(null);
        var answered = await Eventually.TrueAsync(async () =>
        {
            foreach (var npc in npcs)
            {
                await outside.PublishAsync(Dev.NpcState(npc.NpcId).Value, WireCodec.Default.Encode(Envelopes.Of(Tester, new NpcStateBody(npc.NpcId, 1, 5, 5, 0, 0, 0, 0, 0, 0, lifeforce(npc.NpcId), 0))));
            }

            await outside.PublishAsync(Dev.Allocation.Value, WireCodec.Default.Encode(Envelopes.Of(Tester, new AllocationBody(1, npcs))));
            return (await TryAskAsync(probeClient, Question(CortexRequesters.Npc(probe), maxTokens: 1)))?.Status == RequestStatus.Answered;
        }, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(300));
        Assert.That(answered, Is.True, "the gateway took the governor's allocation and the NPCs' states");
    }

    private static NpcAllocation Open(int npcId, int priority = 5) => new(npcId, 5, 25, true, priority);

    private CortexGatewayMessages.Status StatusOf(IActorRef gateway) => gateway.Ask<CortexGatewayMessages.Status>(CortexGatewayMessages.GetStatus.Instance, TimeSpan.FromSeconds(5)).Result;

    [Test]
    [CancelAfter(60_000)]
    public async Task An_NPC_is_answered_by_the_model_once_its_gate_is_open_and_refused_at_once_while_closed()
    {
        var held = new HeldEndpoint(OpenAiCortexEndpoint.From(Settings(_nyx.ApiBase)));
        var gateway = Gateway(Settings(_nyx.ApiBase), held);
        var npc = await ClientAsync(3);

        // Before any allocation: refused, and the model never asked.
        var early = await Eventually.TrueAsync(async () => (await TryAskAsync(npc, Question("npc-3")))?.Reason == CortexReasons.GateClosed, TimeSpan.FromSeconds(10));
        Assert.That(early, Is.True, "refused gate_closed before the governor said anything");
        Assert.That(held.Calls, Is.Zero);

        await GovernAsync(npc, 3, 100, Open(3));
        var (answered, requestId, correlation) = await AskAsync(npc, Question("npc-3", maxTokens: 12));
        Assert.Multiple(() =>
        {
            Assert.That(answered.Status, Is.EqualTo(RequestStatus.Answered), answered.Detail);
            Assert.That(answered.Model, Is.EqualTo("nyx"));
            Assert.That(answered.Content, Is.Not.Empty);
            Assert.That(answered.Usage!.CompletionTokens, Is.InRange(1, 12));
            Assert.That(answered.Usage.TotalTokens, Is.EqualTo(answered.Usage.PromptTokens + answered.Usage.CompletionTokens));
            Assert.That(answered.LifeforceSpent, Is.EqualTo(1 + (0.01 * answered.Usage.TotalTokens)).Within(1e-9));
            Assert.That(correlation, Is.EqualTo(requestId), "the answer names its request");
        });

        // The governor closes the gate: refused at once, nothing queued, the model not asked.
        var outside = await ClientAsync(null);
        await outside.PublishAsync(Dev.Allocation.Value, WireCodec.Default.Encode(Envelopes.Of(Tester, new AllocationBody(2, [Open(3) with { GateOpen = false }]))));
        var closed = await Eventually.TrueAsync(async () => (await AskAsync(npc, Question("npc-3"))).Body.Reason == CortexReasons.GateClosed, TimeSpan.FromSeconds(10));
        Assert.That(closed, Is.True, "refused once the allocation closed the gate");
        var callsBefore = held.Calls;
        var (refused, _, _) = await AskAsync(npc, Question("npc-3"));
        Assert.Multiple(() =>
        {
            Assert.That(refused.Status, Is.EqualTo(RequestStatus.Refused));
            Assert.That(refused.Detail, Does.Contain("epoch 2"));
            Assert.That(refused.LifeforceSpent, Is.Zero);
            Assert.That(held.Calls, Is.EqualTo(callsBefore), "a refused request never reaches the model");
        });
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Twenty_queued_requests_are_served_most_urgent_first_then_by_arrival()
    {
        var held = new HeldEndpoint(OpenAiCortexEndpoint.From(Settings(_nyx.ApiBase)));
        var gateway = Gateway(Settings(_nyx.ApiBase) with { MaxQueue = 32 }, held);
        int[] priorities = [0, 3, 5, 8, 10];
        var clients = new List<NatsConnection>();
        for (var id = 0; id < priorities.Length; id++)
        {
            clients.Add(await ClientAsync(id));
        }

        await GovernAsync(clients[0], 0, 1000, [.. priorities.Select((p, id) => Open(id, p))]);
        var blocker = await ClientAsync(null);
        held.Hold();
        var before = held.Calls;
        var first = AskAsync(blocker, Question("operator"));
        Assert.That(await Eventually.TrueAsync(() => Task.FromResult(StatusOf(gateway).InFlight == 1), TimeSpan.FromSeconds(10)), Is.True, "the first call holds the one place in flight");

        // 20 requests, 4 per NPC, interleaved; each sent once the one before is queued, so arrival order is sending order.
        var asked = new List<Task<(CortexResponseBody Body, Guid RequestId, Guid? CorrelationId)>>();
        for (var round = 0; round < 4; round++)
        {
            for (var id = 0; id < priorities.Length; id++)
            {
                var queued = asked.Count + 1;
                asked.Add(AskAsync(clients[id], Question(CortexRequesters.Npc(id), text: $"Request {asked.Count}: Lily went to the park.")));
                Assert.That(await Eventually.TrueAsync(() => Task.FromResult(StatusOf(gateway).Queued == queued), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(20)), Is.True, $"request {queued} queued");
            }
        }

        held.Release();
        await first;
        var answers = await Task.WhenAll(asked);
        Assert.That(answers.Select(a => a.Body.Status), Is.All.EqualTo(RequestStatus.Answered));

        // Service order is the order the calls reached the model; each call carries vLLM's priority, 10 - p.
        var served = held.Started.Skip(before + 1).ToList();
        Assert.That(served.Select(c => LlmPriorities.Max - c.EndpointPriority), Is.EqualTo(new[] { 10, 10, 10, 10, 8, 8, 8, 8, 5, 5, 5, 5, 3, 3, 3, 3, 0, 0, 0, 0 }));
        var sentIndex = served.Select(c => int.Parse(c.Messages[0].Content.Split(':')[0]["Request ".Length..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.That(sentIndex, Is.EqualTo(new[] { 4, 9, 14, 19, 3, 8, 13, 18, 2, 7, 12, 17, 1, 6, 11, 16, 0, 5, 10, 15 }), "equal priorities by arrival");
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_full_queue_and_an_unaffordable_call_are_refused_and_a_deadline_in_the_queue_fails_the_request()
    {
        var held = new HeldEndpoint(OpenAiCortexEndpoint.From(Settings(_nyx.ApiBase)));
        var gateway = Gateway(Settings(_nyx.ApiBase) with { MaxQueue = 2, CallCost = 20 }, held);
        var rich = await ClientAsync(1);
        var poor = await ClientAsync(2);
        var operatorClient = await ClientAsync(null);
        await GovernAsync(rich, 1, id => id == 1 ? 1000 : 30, Open(1), Open(2));
        held.Hold();
        var inFlight = AskAsync(operatorClient, Question("operator"));
        Assert.That(await Eventually.TrueAsync(() => Task.FromResult(StatusOf(gateway).InFlight == 1), TimeSpan.FromSeconds(10)), Is.True);
        var shortLived = AskAsync(rich, Question("npc-1", timeoutMs: 300));
        var waiting = AskAsync(rich, Question("npc-1"));
        Assert.That(await Eventually.TrueAsync(() => Task.FromResult(StatusOf(gateway).Queued == 2), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(20)), Is.True);

        var (full, _, _) = await AskAsync(rich, Question("npc-1"));
        Assert.That((full.Status, full.Reason), Is.EqualTo((RequestStatus.Refused, CortexReasons.QueueFull)), full.Detail);
        var (timedOut, _, _) = await shortLived;
        Assert.Multiple(() =>
        {
            Assert.That((timedOut.Status, timedOut.Reason), Is.EqualTo((RequestStatus.Failed, CortexReasons.Timeout)), timedOut.Detail);
            Assert.That(timedOut.QueueMs, Is.GreaterThanOrEqualTo(290));
            Assert.That(timedOut.LifeforceSpent, Is.Zero);
        });

        // NPC 2 holds 30 LF by its state; a call may cost 20 LF + 0.01 LF per byte of prompt and per token: one whose worst case is more is refused.
        var greedy = Question("npc-2", maxTokens: 1000, text: new string('a', 1000));
        var (broke, _, _) = await AskAsync(poor, greedy);
        Assert.That((broke.Status, broke.Reason), Is.EqualTo((RequestStatus.Refused, CortexReasons.NoLifeforce)), broke.Detail);
        Assert.That(broke.Detail, Does.Contain("npc 2 has"));

        held.Release();
        Assert.That((await waiting).Body.Status, Is.EqualTo(RequestStatus.Answered), "what waited behind a timed-out request is served");
        await inFlight;
        var status = StatusOf(gateway);
        Assert.That(status.Refused, Does.ContainKey(CortexReasons.QueueFull).And.ContainKey(CortexReasons.NoLifeforce));
        Assert.That(status.Failed[CortexReasons.Timeout], Is.EqualTo(1));
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Lifeforce_is_booked_once_per_answered_call_to_the_requester_and_never_for_a_refusal()
    {
        var gateway = Gateway(Settings(_nyx.ApiBase) with { MaxConcurrent = 2 });
        var npc = await ClientAsync(5);
        await GovernAsync(npc, 5, 1000, Open(5));
        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => AskAsync(npc, Question("npc-5", maxTokens: 6))));
        var (refused, _, _) = await AskAsync(npc, Question("npc-5", schema: "no-such-schema"));
        Assert.That(refused.Reason, Is.EqualTo(CortexReasons.UnknownSchema));

        // Six answers and the probe of GovernAsync: seven answered trails, one per request.
        Assert.That(await Eventually.TrueAsync(() => Task.FromResult(Trails.Count(t => t.Event == CortexTrailEvents.Answered) == 7), TimeSpan.FromSeconds(10)), Is.True,
            () => string.Join(", ", Trails.Select(t => $"{t.Requester} {t.Event} {t.Reason}")));
        var answeredTrails = Trails.Where(t => t.Event == CortexTrailEvents.Answered).ToList();
        var balance = await Ledger.Ask<LifeforceLedgerMessages.Balance>(LifeforceLedgerMessages.GetBalance.Instance, TimeSpan.FromSeconds(5));
        Assert.Multiple(() =>
        {
            Assert.That(answers.Select(a => a.Body.Status), Is.All.EqualTo(RequestStatus.Answered));
            Assert.That(answeredTrails.Select(t => t.RequestId).Distinct().Count(), Is.EqualTo(7));
            Assert.That(balance.SpentBySource["npc-5"], Is.EqualTo(answeredTrails.Sum(t => t.LifeforceSpent)).Within(1e-9), "booked once per answered call, never for the refusal");
            Assert.That(answeredTrails.Where(t => answers.Any(a => a.RequestId == t.RequestId)).Sum(t => t.LifeforceSpent), Is.EqualTo(answers.Sum(a => a.Body.LifeforceSpent)).Within(1e-9), "what each answer says it cost");
            Assert.That(StatusOf(gateway).LifeforceSpent, Is.EqualTo(balance.SpentBySource["npc-5"]).Within(1e-9));
        });
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_structured_answer_follows_its_schema()
    {
        Gateway(Settings(_nyx.ApiBase));
        var npc = await ClientAsync(6);
        await GovernAsync(npc, 6, 1000, Open(6));
        for (var i = 0; i < 5; i++)
        {
            var (answer, _, _) = await AskAsync(npc, Question("npc-6", maxTokens: 128, schema: CortexSchemas.Direction));
            Assert.That(answer.Status, Is.EqualTo(RequestStatus.Answered), answer.Detail);
            var advice = JsonSerializer.Deserialize(answer.Content!, CortexSchemaJsonContext.Default.DirectionAdvice);
            Assert.That(advice!.Direction, Is.AnyOf(Compass.N, Compass.S, Compass.E, Compass.W));
        }
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_request_claiming_another_NPC_or_malformed_is_refused_and_counted()
    {
        Gateway(Settings(_nyx.ApiBase));
        var npc = await ClientAsync(7);
        await GovernAsync(npc, 7, 1000, Open(7), Open(8));
        var (impostor, _, _) = await AskAsync(npc, Question("npc-8"));
        Assert.That((impostor.Status, impostor.Reason), Is.EqualTo((RequestStatus.Refused, CortexReasons.RequesterMismatch)), impostor.Detail);

        var tooLong = Question("npc-7") with { Messages = [new CortexMessage("user", new string('x', CortexRequestBody.MaxPromptCharacters + 1))] };
        var reply = await npc.RequestAsync<byte[], byte[]>(Dev.CortexRequest.Value, WireCodec.Default.Encode(Envelopes.Of(Tester, tooLong)), replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(10) });
        var rejected = WireCodec.Default.Decode<RejectedBody>(reply.Data!).Envelope;
        Assert.That(rejected?.Body.Reason, Is.EqualTo("invalid_body"), Encoding.UTF8.GetString(reply.Data!));
        Assert.That(Counters.Snapshot().Rejected.Values.Sum(), Is.GreaterThanOrEqualTo(1));
        Assert.That((await AskAsync(npc, Question("npc-7"))).Body.Status, Is.EqualTo(RequestStatus.Answered), "the gateway goes on");
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task A_killed_model_server_opens_the_breaker_which_refuses_fast_and_closes_after_the_restart()
    {
        var port = Ports.FreeTcpPort();
        var nyx = await NyxServer.StartAsync(port, ("NIMMERVERSE_NYX__SCHEDULING", "priority"));
        var held = new HeldEndpoint(OpenAiCortexEndpoint.From(Settings(nyx.ApiBase)));
        var gateway = Gateway(Settings(nyx.ApiBase) with { BreakerFailures = 3, BreakerOpenFor = TimeSpan.FromSeconds(2) }, held);
        var client = await ClientAsync(null);
        await ListeningAsync();
        Assert.That((await AskAsync(client, Question("operator"))).Body.Status, Is.EqualTo(RequestStatus.Answered));

        await nyx.KillAsync();
        for (var i = 0; i < 3; i++)
        {
            var (failed, _, _) = await AskAsync(client, Question("operator"));
            Assert.That((failed.Status, failed.Reason), Is.EqualTo((RequestStatus.Failed, CortexReasons.EndpointError)), failed.Detail);
        }

        var calls = held.Calls;
        var (down, _, _) = await AskAsync(client, Question("operator"));
        Assert.Multiple(() =>
        {
            Assert.That((down.Status, down.Reason), Is.EqualTo((RequestStatus.Refused, CortexReasons.CortexDown)), down.Detail);
            Assert.That(held.Calls, Is.EqualTo(calls), "refused without a call");
            Assert.That(StatusOf(gateway).Breaker, Is.EqualTo(BreakerState.Open));
        });

        await using var restarted = await NyxServer.StartAsync(port, ("NIMMERVERSE_NYX__SCHEDULING", "priority"));
        var recovered = await Eventually.TrueAsync(async () => (await AskAsync(client, Question("operator"))).Body.Status == RequestStatus.Answered, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(500));
        Assert.That(recovered, Is.True, "answered again once the breaker let a probe through");
        Assert.That(StatusOf(gateway).Breaker, Is.EqualTo(BreakerState.Closed));
        await nyx.DisposeAsync();
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_hanging_server_times_out_in_flight_and_opens_the_breaker_only_for_calls_that_had_time()
    {
        using var hanging = ScriptedChatServer.Hanging();
        var gateway = Gateway(Settings(hanging.ApiBase) with { MaxConcurrent = 2, BreakerFailures = 3, BreakerOpenFor = TimeSpan.FromMinutes(1) });
        var client = await ClientAsync(null);
        await ListeningAsync();
        var (hung, _, _) = await AskAsync(client, Question("operator", timeoutMs: 500));
        Assert.Multiple(() =>
        {
            Assert.That((hung.Status, hung.Reason), Is.EqualTo((RequestStatus.Failed, CortexReasons.Timeout)), hung.Detail);
            Assert.That(hung.LatencyMs, Is.GreaterThanOrEqualTo(400), "it was in flight until its deadline");
            Assert.That(hanging.Requests, Has.Count.EqualTo(1));
            Assert.That(StatusOf(gateway).FailuresInARow, Is.Zero, "a deadline of the requester's own, under 2 s, says nothing of the server");
        });

        // Calls that had their 2 s and more and still hang: the server is down.
        var long1 = AskAsync(client, Question("operator", timeoutMs: 2500));
        var long2 = AskAsync(client, Question("operator", timeoutMs: 2500));
        await Task.WhenAll(long1, long2);
        var (third, _, _) = await AskAsync(client, Question("operator", timeoutMs: 2500));
        Assert.That(third.Reason, Is.EqualTo(CortexReasons.Timeout));
        var (down, _, _) = await AskAsync(client, Question("operator"));
        Assert.That((down.Status, down.Reason), Is.EqualTo((RequestStatus.Refused, CortexReasons.CortexDown)), down.Detail);
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_server_answering_garbage_fails_each_request_without_blocking_the_queue()
    {
        using var garbage = ScriptedChatServer.Garbage();
        var gateway = Gateway(Settings(garbage.ApiBase) with { BreakerFailures = 100 });
        var client = await ClientAsync(null);
        await ListeningAsync();
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => AskAsync(client, Question("operator"))));
        Assert.That(answers.Select(a => (a.Body.Status, a.Body.Reason)), Is.All.EqualTo((RequestStatus.Failed, CortexReasons.EndpointError)));
        Assert.That(StatusOf(gateway).Failed[CortexReasons.EndpointError], Is.EqualTo(4), "each counted");
    }

    /// <summary>
    /// The real endpoint with a hold in front: while held, calls wait before they are sent (so a
    /// test can fill the queue behind one call); every call is noted in the order it started.
    /// </summary>
    private sealed class HeldEndpoint(ICortexEndpoint endpoint) : ICortexEndpoint
    {
        private volatile TaskCompletionSource _gate = Released();

        public ConcurrentQueue<CortexCall> Started { get; } = new();

        public int Calls => Started.Count;

        public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _gate.TrySetResult();

        public async Task<CortexCompletion> CompleteAsync(CortexCall call, CancellationToken cancellationToken)
        {
            Started.Enqueue(call);
            await _gate.Task.WaitAsync(cancellationToken);
            return await endpoint.CompleteAsync(call, cancellationToken);
        }

        private static TaskCompletionSource Released()
        {
            var released = new TaskCompletionSource();
            released.SetResult();
            return released;
        }
    }
}
