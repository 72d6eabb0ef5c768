using System.Text.Json;
using NATS.Client.Core;
using Nimmerverse.Actors.Cortex;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Nyx;

namespace Nimmerverse.Actors.Tests.Cortex;

/// <summary>
/// The Function Gemma boundary: a gate opening toward the cortex becomes an assessment by a real
/// nimmerverse-nyx (its <c>function-gemma</c>, the shipped tiny model under the record's grammar), a
/// cognitive request through the real gateway, and the cortex's commands sent down. The cortex's
/// model is a scripted stand-in: a model that answers sensibly cannot run here.
/// </summary>
[Category(TestTier.Integration)]
public sealed class BoundarySpec : CortexSpec
{
    private static NyxServer _nyx = null!;
    private BoundaryCounters _counters = null!;

    /// <summary>What the stand-in cortex answers: a command to an NPC, one to a nerve, one to nowhere.</summary>
    private const string Commands = """
        {"downstream_commands": [
            {"target": "npc-3", "command": "pause", "payload": {}},
            {"target": "nerve-exploration", "command": "pause", "payload": {"duration_ms": 1500}},
            {"target": "the-moon", "command": "land", "payload": {}}]}
        """;

    [OneTimeSetUp]
    public static async Task StartNyx() => _nyx = await NyxServer.StartAsync();

    [OneTimeTearDown]
    public static async Task StopNyx() => await _nyx.DisposeAsync();

    [SetUp]
    public void NewCounters() => _counters = new BoundaryCounters();

    /// <summary>The boundary, with a call timeout that a loaded CI machine cannot reach (a timeout NACKs without retries).</summary>
    private void Boundary(Uri functionGemma, BoundarySettings? settings = null) =>
        Sys.ActorOf(BoundaryActor.Props((settings ?? BoundarySettings.Default) with { Timeout = TimeSpan.FromSeconds(20) }, Bridge, Dev, new OpenAiCortexEndpoint(functionGemma, "function-gemma", null), "spec", _counters));

    /// <summary>
    /// A wave, then a gate opening on it toward <paramref name="tier"/>, published as the thalamus does; or, with
    /// <paramref name="waveLate"/>, the gate first and the wave that late, as two subscriptions may deliver them.
    /// </summary>
    private async Task<Guid> OpenGateAsync(NatsConnection client, string gateId = "gate-vision", string domain = "vision", int tier = Tiers.Boundary, GateState to = GateState.Open, string seen = "red house", TimeSpan? waveLate = null)
    {
        var wave = Envelopes.Of(new MessageSource("vision@spec", "cell", 2), new WaveBody(domain, 0.9, JsonDocument.Parse($$"""{"object": "{{seen}}", "distance": 2}""").RootElement, 0.1));
        var transition = Envelopes.Of(new MessageSource("thalamus@spec", "thalamus", 2), new GateTransitionBody(gateId, domain, GateState.Stable, to, 0.8, 0.7, [wave.Header.MessageId], tier));
        if (waveLate is { } late)
        {
            await client.PublishAsync(Dev.GateTransition(to == GateState.Open).Value, WireCodec.Default.Encode(transition));
            await Task.Delay(late);
            await client.PublishAsync(Dev.CellWave("vision").Value, WireCodec.Default.Encode(wave));
            return wave.Header.MessageId;
        }

        await client.PublishAsync(Dev.CellWave("vision").Value, WireCodec.Default.Encode(wave));
        await client.PublishAsync(Dev.GateTransition(to == GateState.Open).Value, WireCodec.Default.Encode(transition));
        return wave.Header.MessageId;
    }

    /// <summary>Until the boundary's subscriptions are live: a gate it must ignore is published until a probe gate is taken up.</summary>
    private async Task SubscribedAsync(NatsConnection client, Func<bool> takenUp)
    {
        var live = await Eventually.TrueAsync(async () =>
        {
            await OpenGateAsync(client, gateId: "gate-probe");
            return takenUp();
        }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(300)); // an assessment of the tiny model takes seconds on a loaded machine
        Assert.That(live, Is.True, () => $"the boundary took up a gate: {string.Join(", ", _counters.Snapshot())}; {string.Join(" | ", Trails.Select(t => $"{t.Requester} {t.Event} {t.Reason} {t.Detail}"))}");
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task A_gate_opening_toward_the_cortex_is_assessed_asked_and_the_answer_sent_down_to_an_NPC_and_a_nerve()
    {
        using var cortexModel = ScriptedChatServer.Answering(_ => Commands);
        Gateway(Settings(cortexModel.ApiBase));
        await ListeningAsync();
        Boundary(_nyx.ApiBase);
        var client = await ClientAsync(null);
        var npcCommands = await ListenAsync<NpcCommandBody>(Dev.NpcCommand(3).Value);
        var nerveCommands = await ListenAsync<NerveCommandBody>(Dev.NerveCommand("exploration").Value);
        await SubscribedAsync(client, () => !cortexModel.Requests.IsEmpty);

        // The cognitive request the cortex got: Function Gemma's assessment, and what the boundary knows itself.
        var asked = cortexModel.Requests.First();
        var messages = asked.GetProperty("messages");
        var request = JsonSerializer.Deserialize(messages[messages.GetArrayLength() - 1].GetProperty("content").GetString()!, CortexSchemaJsonContext.Default.CognitiveRequest)!;
        Assert.Multiple(() =>
        {
            Assert.That(asked.GetProperty("response_format").GetProperty("json_schema").GetProperty("name").GetString(), Is.EqualTo(CortexSchemas.DownstreamCommands));
            Assert.That(request.Domain, Is.EqualTo("vision"), "the gate's domain, not the model's guess");
            Assert.That(request.ProcessingBudgetLf, Is.EqualTo(BoundarySettings.Default.ProcessingBudget));
            Assert.That(request.ResponseTimeoutMs, Is.EqualTo(BoundarySettings.Default.CortexTimeoutMs));
            Assert.That(request.Confidence, Is.InRange(0, 1));
            Assert.That(request.SuggestedActions, Has.Count.LessThanOrEqualTo(3));
        });

        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var toNpc = await npcCommands.ReadAsync(wait.Token);
        var toNerve = await nerveCommands.ReadAsync(wait.Token);
        Assert.Multiple(() =>
        {
            Assert.That(toNpc.Body, Is.EqualTo(new NpcCommandBody("pause")));
            Assert.That(toNpc.Header.Source.EntityType, Is.EqualTo("boundary"));
            Assert.That(toNerve.Body, Is.EqualTo(new NerveCommandBody("pause", 1500)));
        });
        Assert.That(await Eventually.TrueAsync(() => Task.FromResult(_counters["unroutable"] == 1 && _counters["routed"] == 2), TimeSpan.FromSeconds(5)), Is.True, string.Join(", ", _counters.Snapshot()));

        // Function Gemma's exchange is a trail, valid against its record: a training example.
        // On a loaded machine an assessment may time out and the boundary try again: the one that answered is the example.
        var assessments = Trails.Where(t => t.Requester == BoundaryActor.Requester && t.ResponseSchema == CortexSchemas.CognitiveAssessment).ToList();
        var assessed = assessments.Find(t => t.Event == CortexTrailEvents.Answered);
        Assert.That(assessed, Is.Not.Null, () => $"no answered assessment among: {string.Join(", ", assessments.Select(t => $"{t.Event} {t.Reason} {t.Detail}"))}");
        Assert.Multiple(() =>
        {
            Assert.That(assessed!.Model, Is.EqualTo("function-gemma"));
            Assert.That(CortexSchemas.Problem(CortexSchemas.CognitiveAssessment, assessed.Content!), Is.Null, assessed.Content);
            Assert.That(assessed.Messages![1].Content, Does.Contain("red house"), "the trigger wave was told");
        });
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Answers_the_schema_refuses_are_asked_again_with_a_hint_three_times_then_the_transition_is_NACKed()
    {
        using var cortexModel = ScriptedChatServer.Answering(_ => Commands);
        using var brokenGemma = ScriptedChatServer.Answering(_ => """{"event_type": "bogus", "confidence": 7}""");
        Gateway(Settings(cortexModel.ApiBase));
        Boundary(brokenGemma.ApiBase);
        var client = await ClientAsync(null);
        await SubscribedAsync(client, () => !brokenGemma.Requests.IsEmpty);

        Assert.That(await Eventually.TrueAsync(() => Task.FromResult(_counters["nacked"] == 1), TimeSpan.FromSeconds(15)), Is.True, string.Join(", ", _counters.Snapshot()));
        var attempts = brokenGemma.Requests.ToList();
        Assert.Multiple(() =>
        {
            Assert.That(attempts, Has.Count.EqualTo(4), "one ask and three retries");
            Assert.That(_counters["retries"], Is.EqualTo(3));
            Assert.That(attempts[3].GetProperty("messages")[attempts[3].GetProperty("messages").GetArrayLength() - 1].GetProperty("content").GetString(), Does.StartWith("That answer is not valid:"), "each retry carries a hint");
            Assert.That(attempts[3].GetProperty("messages").GetArrayLength(), Is.EqualTo(2 + (3 * 2)), "the conversation so far");
            Assert.That(cortexModel.Requests, Is.Empty, "nothing reached the cortex");
        });
        Assert.That(await Eventually.TrueAsync(() => Task.FromResult(Trails.Any(t => t.Event == CortexTrailEvents.Failed && t.Reason == CortexReasons.InvalidOutput)), TimeSpan.FromSeconds(5)), Is.True, "the NACK is a trail");
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task A_gate_that_overtook_the_wave_that_opened_it_is_assessed_with_that_wave()
    {
        // The gate is delivered 100 ms before its wave, as the transitions' subscription can overtake the waves'.
        using var gemma = ScriptedChatServer.Answering(_ => """{"event_type": "object_discovered", "confidence": 0.5, "structured_input": {}, "suggested_actions": []}""");
        Boundary(gemma.ApiBase);
        var client = await ClientAsync(null);
        await SubscribedAsync(client, () => !gemma.Requests.IsEmpty);

        await OpenGateAsync(client, gateId: "gate-late", seen: "late lantern", waveLate: TimeSpan.FromMilliseconds(100));
        string? Told() => gemma.Requests.Select(r => r.GetProperty("messages")[1].GetProperty("content").GetString()!).FirstOrDefault(m => m.Contains("gate-late", StringComparison.Ordinal));
        Assert.That(await Eventually.TrueAsync(() => Task.FromResult(Told() is not null), TimeSpan.FromSeconds(10)), Is.True, "the late gate was assessed");
        Assert.That(Told(), Does.Contain("late lantern"), "the wave that came after its gate was told");
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task Only_gates_opening_toward_the_boundary_are_taken_up_and_a_gate_once_per_cooldown()
    {
        using var gemma = ScriptedChatServer.Answering(_ => """{"event_type": "object_discovered", "confidence": 0.5, "structured_input": {}, "suggested_actions": []}""");
        Boundary(gemma.ApiBase, BoundarySettings.Default with { GateCooldown = TimeSpan.FromMinutes(1) });
        var client = await ClientAsync(null);
        await SubscribedAsync(client, () => !gemma.Requests.IsEmpty);
        var before = gemma.Requests.Count;

        await OpenGateAsync(client, gateId: "gate-nerves", tier: Tiers.Nerves);
        await OpenGateAsync(client, gateId: "governor.npc.3.llm", domain: "llm", tier: Tiers.Cortex);
        await OpenGateAsync(client, gateId: "gate-probe");
        await OpenGateAsync(client, gateId: "gate-new", tier: Tiers.Cortex);
        Assert.That(await Eventually.TrueAsync(() => Task.FromResult(gemma.Requests.Count == before + 1), TimeSpan.FromSeconds(10)), Is.True);
        await Task.Delay(500);
        Assert.Multiple(() =>
        {
            Assert.That(gemma.Requests, Has.Count.EqualTo(before + 1), "only the new gate toward the cortex");
            Assert.That(_counters["cooled"], Is.GreaterThanOrEqualTo(1), "the probe gate again, within its cooldown");
        });
    }
}
