using System.Text.Json;
using Nimmerverse.Protocol;

namespace Nimmerverse.Testing.Fuzz;

/// <summary>One valid envelope of each message type, about a given NPC where the type names one: the fuzzer's starting points.</summary>
public static class ValidEnvelopes
{
    private static readonly MessageSource Source = new("fuzzer", "test", 1);

    public static byte[] For(string messageType, int npcId)
    {
        var codec = WireCodec.Default;
        return messageType switch
        {
            "wave" => codec.Encode(Of(new WaveBody("math", 0.8, JsonDocument.Parse("""{"operation": "add", "result": 5, "path": [1, 2]}""").RootElement, 0.3))),
            "gate_transition" => codec.Encode(Of(new GateTransitionBody("gate-math", "math", GateState.Stable, GateState.Open, 0.62, 0.9, [Guid.NewGuid()], 2))),
            "cell_request" => codec.Encode(Of(new CellRequestBody("add", [2, 3.5]))),
            "cell_response" => codec.Encode(Of(CellResponseBody.Success(5.5))),
            "npc_state" => codec.Encode(Of(new NpcStateBody(npcId, 1200, 5, 4.98, 1.2, 12, 40, 0.92, 0.4, 0.013, 88.5, 5321))),
            "npc_command" => codec.Encode(Of(new NpcCommandBody("set_tick_rate", 10))),
            "allocation" => codec.Encode(Of(new AllocationBody(17, [new NpcAllocation(npcId, 10, 25, true, 3)]))),
            "world_step" => codec.Encode(Of(new WorldStepBody(npcId, "N"))),
            "world_step_result" => codec.Encode(Of(new WorldStepResultBody(Error: "not a citizen"))),
            "quiz_query" => codec.Encode(Of(new QuizQueryBody(npcId))),
            "quiz_report" => codec.Encode(Of(new QuizReportBody(0, 3, 5, 5, false, [new QuizStanding(npcId, 2, 24, 25, false)]))),
            "npc_checkpoint" => codec.Encode(Of(new NpcCheckpointBody(npcId, 3, "medium", "torchsharp-dqn/60x128x128x4", [1, 2, 3, 4], 900, 120, 0.05))),
            "checkpoint_saved" => codec.Encode(Of(new CheckpointSavedBody(npcId, 3))),
            "checkpoint_query" => codec.Encode(Of(new CheckpointQueryBody(npcId))),
            "checkpoint_found" => codec.Encode(Of(new CheckpointFoundBody())),
            "npc_lifecycle" => codec.Encode(Of(new NpcLifecycleBody(npcId, "exited", 4242, Signal: 9, Restarts: 2))),
            "rejected" => codec.Encode(Of(new RejectedBody("invalid_body", "fuzz"))),
            "cortex_request" => codec.Encode(Of(new CortexRequestBody(npcId % 2 == 0 ? "operator" : CortexRequesters.Npc(npcId), [new CortexMessage("user", "Where is the park?\nI am lost.")], 8, CortexSchemas.Direction, 1000))),
            "cortex_response" => codec.Encode(Of(new CortexResponseBody("operator", RequestStatus.Refused, CortexReasons.GateClosed, "fuzz"))),
            "nerve_command" => codec.Encode(Of(new NerveCommandBody("pause", 1000))),
            "cortex_trail" => codec.Encode(Of(new CortexTrailBody(Guid.NewGuid(), "operator", CortexTrailEvents.Refused, 5, CortexReasons.QueueFull))),
            "organ_request" => codec.Encode(Of(new OrganRequestBody(npcId % 2 == 0 ? "operator" : CortexRequesters.Npc(npcId), Text: "stop", TimeoutMs: 1000))),
            "organ_response" => codec.Encode(Of(new OrganResponseBody("operator", OrganNames.Vision, RequestStatus.Refused, OrganReasons.NoLifeforce, "fuzz"))),
            "organ_trail" => codec.Encode(Of(new OrganTrailBody(Guid.NewGuid(), "operator", OrganNames.Vision, RequestStatus.Refused, "text: \"stop\"", OrganReasons.InvalidRequest))),
            "organ_state" => codec.Encode(Of(new OrganStateBody(OrganNames.Vision, OrganStates.Idle))),
            _ => throw new ArgumentOutOfRangeException(nameof(messageType), messageType, "no sample for this message type"),
        };
    }

    private static Envelope<T> Of<T>(T body)
        where T : IMessageBody => new(MessageHeader.New<T>(Source), body);
}
