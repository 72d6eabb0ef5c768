using System.Text.Json;
using Nimmerverse.Protocol;

namespace Nimmerverse.Protocol.Tests;

/// <summary>One valid message of every type, for round trips and schema checks.</summary>
internal static class WireSamples
{
    public static readonly MessageSource Cell = new("math-1", "cell", 1);

    public static Envelope<T> Envelope<T>(T body, Guid? correlationId = null)
        where T : IMessageBody => new(MessageHeader.New<T>(Cell, correlationId), body);

    public static readonly WaveBody Wave = new("math", 0.8, JsonDocument.Parse("""{"operation": "add", "result": 5}""").RootElement, 0.3);

    public static readonly GateTransitionBody GateTransition = new("gate-math", "math", GateState.Stable, GateState.Open, 0.62, 0.9, [Guid.NewGuid(), Guid.NewGuid()], 2);

    public static readonly CellRequestBody CellRequest = new("add", [2, 3.5]);

    public static readonly NpcStateBody NpcState = new(7, 1200, 5, 4.98, 1.2, 12, 40, 0.92, 0.4, 0.013, 88.5, 5321, SuccessErrands: 40, QuizPassed: true, InWorld: true);

    public static readonly WorldObservation Observation = new(7, 0, 5, 5, 12, [0, 1], "red house, with a garden", ["N", "S", "E", "W"], ["E"], -0.01, false, false, false, 40, false, 9, 12.5);

    public static readonly NpcCheckpointBody Checkpoint = new(7, 3, "medium", "torchsharp-dqn/60x128x128x4", [1, 2, 3, 4], 900, 120, 0.05, 1, [true, false, true], QuizPassed: false);

    public static readonly AllocationBody Allocation = new(17, [new NpcAllocation(7, 10, 25, true, 3)], "learned", 0.42);

    /// <summary>Every sample encoded, by message type.</summary>
    public static IEnumerable<TestCaseData> Encoded()
    {
        var codec = WireCodec.Default;
        yield return new TestCaseData("wave", codec.Encode(Envelope(Wave))).SetArgDisplayNames("wave");
        yield return new TestCaseData("gate_transition", codec.Encode(Envelope(GateTransition))).SetArgDisplayNames("gate_transition");
        yield return new TestCaseData("cell_request", codec.Encode(Envelope(CellRequest))).SetArgDisplayNames("cell_request");
        yield return new TestCaseData("cell_response", codec.Encode(Envelope(CellResponseBody.Success(5.5), Guid.NewGuid()))).SetArgDisplayNames("cell_response result");
        yield return new TestCaseData("cell_response", codec.Encode(Envelope(CellResponseBody.Failure("division by zero"), Guid.NewGuid()))).SetArgDisplayNames("cell_response error");
        yield return new TestCaseData("npc_state", codec.Encode(Envelope(NpcState))).SetArgDisplayNames("npc_state");
        yield return new TestCaseData("npc_command", codec.Encode(Envelope(new NpcCommandBody("set_tick_rate", 10)))).SetArgDisplayNames("npc_command set_tick_rate");
        yield return new TestCaseData("npc_command", codec.Encode(Envelope(new NpcCommandBody("pause")))).SetArgDisplayNames("npc_command pause");
        yield return new TestCaseData("allocation", codec.Encode(Envelope(Allocation))).SetArgDisplayNames("allocation");
        yield return new TestCaseData("npc_state", codec.Encode(Envelope(NpcState with { Paused = true, Level = 1, Steps = 900, Epsilon = 0.05, CheckpointSequence = 3 }))).SetArgDisplayNames("npc_state with learning fields");
        yield return new TestCaseData("world_step", codec.Encode(Envelope(new WorldStepBody(7, "N")))).SetArgDisplayNames("world_step");
        yield return new TestCaseData("world_step", codec.Encode(Envelope(new WorldStepBody(7)))).SetArgDisplayNames("world_step look");
        yield return new TestCaseData("world_step_result", codec.Encode(Envelope(new WorldStepResultBody(Observation), Guid.NewGuid()))).SetArgDisplayNames("world_step_result observation");
        yield return new TestCaseData("world_step_result", codec.Encode(Envelope(new WorldStepResultBody(Error: "npc 99 is not a citizen"), Guid.NewGuid()))).SetArgDisplayNames("world_step_result error");
        yield return new TestCaseData("quiz_query", codec.Encode(Envelope(new QuizQueryBody()))).SetArgDisplayNames("quiz_query");
        yield return new TestCaseData("quiz_report", codec.Encode(Envelope(new QuizReportBody(0, 3, 5, 5, false, [new QuizStanding(0, 2, 24, 25, false)])))).SetArgDisplayNames("quiz_report");
        yield return new TestCaseData("npc_checkpoint", codec.Encode(Envelope(Checkpoint))).SetArgDisplayNames("npc_checkpoint");
        yield return new TestCaseData("checkpoint_saved", codec.Encode(Envelope(new CheckpointSavedBody(7, 3)))).SetArgDisplayNames("checkpoint_saved");
        yield return new TestCaseData("checkpoint_query", codec.Encode(Envelope(new CheckpointQueryBody(7)))).SetArgDisplayNames("checkpoint_query");
        yield return new TestCaseData("checkpoint_found", codec.Encode(Envelope(new CheckpointFoundBody(Checkpoint)))).SetArgDisplayNames("checkpoint_found");
        yield return new TestCaseData("checkpoint_found", codec.Encode(Envelope(new CheckpointFoundBody()))).SetArgDisplayNames("checkpoint_found none");
        yield return new TestCaseData("npc_lifecycle", codec.Encode(Envelope(new NpcLifecycleBody(7, "exited", 4242, Signal: 9, Restarts: 2, Unit: "nimmerverse-npc-7.scope")))).SetArgDisplayNames("npc_lifecycle exited");
        yield return new TestCaseData("npc_lifecycle", codec.Encode(Envelope(new NpcLifecycleBody(7, "gave-up", Restarts: 5, Detail: "5 restarts within 00:01:00")))).SetArgDisplayNames("npc_lifecycle gave-up");
        var question = new CortexRequestBody("npc-7", [new CortexMessage("system", "You guide NPCs.\nAnswer in JSON."), new CortexMessage("user", "I am lost at node 12.")], 32, "direction");
        yield return new TestCaseData("cortex_request", codec.Encode(Envelope(question))).SetArgDisplayNames("cortex_request");
        yield return new TestCaseData("cortex_response", codec.Encode(Envelope(new CortexResponseBody("npc-7", "answered", Content: "{\"direction\": \"N\", \"confidence\": 0.7}", Model: "nyx", Usage: new CortexUsage(40, 12, 52), QueueMs: 3, LatencyMs: 180, LifeforceSpent: 20.52), Guid.NewGuid()))).SetArgDisplayNames("cortex_response answered");
        yield return new TestCaseData("cortex_response", codec.Encode(Envelope(new CortexResponseBody("npc-7", "refused", "gate_closed", "npc 7's LLM gate is closed"), Guid.NewGuid()))).SetArgDisplayNames("cortex_response refused");
        yield return new TestCaseData("cortex_trail", codec.Encode(Envelope(new CortexTrailBody(Guid.NewGuid(), "npc-7", "answered", 7, ResponseSchema: "direction", Messages: question.Messages, Content: "{}", Model: "nyx", Usage: new CortexUsage(40, 2, 42), QueueMs: 1, LatencyMs: 90, LifeforceSpent: 20.42, QueueDepth: 3)))).SetArgDisplayNames("cortex_trail answered");
        yield return new TestCaseData("nerve_command", codec.Encode(Envelope(new NerveCommandBody("pause", 5000)))).SetArgDisplayNames("nerve_command pause");
        yield return new TestCaseData("nerve_command", codec.Encode(Envelope(new NerveCommandBody("resume")))).SetArgDisplayNames("nerve_command resume");
        yield return new TestCaseData("organ_request", codec.Encode(Envelope(new OrganRequestBody("npc-7", Media: [0x89, 0x50, 0x4e, 0x47])))).SetArgDisplayNames("organ_request media");
        yield return new TestCaseData("organ_request", codec.Encode(Envelope(new OrganRequestBody("operator", Text: "turn left", TimeoutMs: 5000)))).SetArgDisplayNames("organ_request text");
        yield return new TestCaseData("organ_request", codec.Encode(Envelope(new OrganRequestBody("npc-7", MediaObject: "street-corner.png")))).SetArgDisplayNames("organ_request media_object");
        yield return new TestCaseData("organ_response", codec.Encode(Envelope(new OrganResponseBody("operator", "text-to-speech", "answered", WorkMs: 900, LifeforceSpent: 4, SpeechObject: OrganMedia.SpeechOf(Guid.NewGuid())), Guid.NewGuid()))).SetArgDisplayNames("organ_response speech_object");
        var seen = new VisionResult([new Detection("circle", 0.93, new ImageBox(10, 20, 30, 30))], [new TextRead("OPEN", 0.88, new ImageBox(0, 0, 60, 20))]);
        yield return new TestCaseData("organ_response", codec.Encode(Envelope(new OrganResponseBody("npc-7", "vision", "answered", Vision: seen, WaitMs: 120, WorkMs: 35, LoadMs: 110, LifeforceSpent: 8), Guid.NewGuid()))).SetArgDisplayNames("organ_response vision");
        yield return new TestCaseData("organ_response", codec.Encode(Envelope(new OrganResponseBody("npc-7", "speech-to-text", "answered", Transcription: new Transcription("turn left", 0.9, 1.2), WorkMs: 300, LifeforceSpent: 5), Guid.NewGuid()))).SetArgDisplayNames("organ_response transcription");
        yield return new TestCaseData("organ_response", codec.Encode(Envelope(new OrganResponseBody("operator", "text-to-speech", "answered", Speech: [0x52, 0x49, 0x46, 0x46], WorkMs: 40, LifeforceSpent: 4), Guid.NewGuid()))).SetArgDisplayNames("organ_response speech");
        yield return new TestCaseData("organ_response", codec.Encode(Envelope(new OrganResponseBody("npc-7", "vision", "refused", "no_lifeforce", "the call costs 8 LF; the organism has 3 LF"), Guid.NewGuid()))).SetArgDisplayNames("organ_response refused");
        yield return new TestCaseData("organ_trail", codec.Encode(Envelope(new OrganTrailBody(Guid.NewGuid(), "npc-7", "speech-to-text", "answered", "audio, 38444 bytes", Output: "turn left", Confidence: 0.9, WaitMs: 2, WorkMs: 300, LifeforceSpent: 5, Card: "0")))).SetArgDisplayNames("organ_trail answered");
        yield return new TestCaseData("organ_trail", codec.Encode(Envelope(new OrganTrailBody(Guid.NewGuid(), "npc-7", "vision", "failed", "image, 120 bytes", "organ_failed", "the organ process exited (signal 9)")))).SetArgDisplayNames("organ_trail failed");
        yield return new TestCaseData("organ_state", codec.Encode(Envelope(new OrganStateBody("vision", "ready", "0", 4242, 181.5)))).SetArgDisplayNames("organ_state ready");
        yield return new TestCaseData("organ_state", codec.Encode(Envelope(new OrganStateBody("vision", "idle", "0", Reason: "crashed")))).SetArgDisplayNames("organ_state idle");
        yield return new TestCaseData("rejected", codec.Encode(Envelope(new RejectedBody("invalid_body", "$.body.npc_id: not an integer"), Guid.NewGuid()))).SetArgDisplayNames("rejected");
    }
}
