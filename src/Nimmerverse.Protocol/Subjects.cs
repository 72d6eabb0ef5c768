namespace Nimmerverse.Protocol;

/// <summary>The organism's subjects within one environment.</summary>
public sealed class Subjects(string environment)
{
    public string Environment { get; } = Environments.IsKnown(environment)
        ? environment
        : throw new ArgumentException($"'{environment}' is not an environment", nameof(environment));

    /// <summary><c>{env}.nervous.cells.{cell}.request</c>: requests to a cell.</summary>
    public Subject CellRequest(string cell) => Subject.Create(Environment, "nervous", "cells", cell, "request");

    /// <summary><c>{env}.nervous.cells.{cell}.response</c>: every answer of a cell, with the request's id as correlation id.</summary>
    public Subject CellResponse(string cell) => Subject.Create(Environment, "nervous", "cells", cell, "response");

    /// <summary><c>{env}.nervous.cells.{cell}.wave</c>: the cell's waves.</summary>
    public Subject CellWave(string cell) => Subject.Create(Environment, "nervous", "cells", cell, "wave");

    /// <summary><c>{env}.nervous.nerves.{nerve}.wave</c>: a nerve's waves.</summary>
    public Subject NerveWave(string nerve) => Subject.Create(Environment, "nervous", "nerves", nerve, "wave");

    /// <summary><c>{env}.nervous.nerves.{nerve}.command</c>: commands to a nerve (the cortex's, sent down by the boundary).</summary>
    public Subject NerveCommand(string nerve) => Subject.Create(Environment, "nervous", "nerves", nerve, "command");

    /// <summary><c>{env}.nervous.*.*.wave</c>: every cell's and nerve's waves.</summary>
    public SubjectPattern Waves => SubjectPattern.Parse($"{Environment}.nervous.*.*.wave");

    /// <summary><c>{env}.thalamus.gate.*</c>: every gate transition.</summary>
    public SubjectPattern GateTransitions => SubjectPattern.Parse($"{Environment}.thalamus.gate.*");

    /// <summary><c>{env}.thalamus.gate.open</c> and <c>.close</c>: gate transitions.</summary>
    public Subject GateTransition(bool open) => Subject.Create(Environment, "thalamus", "gate", open ? "open" : "close");

    /// <summary><c>{env}.thalamus.governor.allocate</c>: the governor's allocation per epoch.</summary>
    public Subject Allocation => Subject.Create(Environment, "thalamus", "governor", "allocate");

    private const string NpcPrefix = "npc.";
    private const string CheckpointsPrefix = "supervisor.checkpoints.";

    /// <summary>
    /// The NPC a subject of the form <c>{env}.npc.{id}.{...}</c> or <c>{env}.supervisor.checkpoints.{id}.{...}</c>
    /// names, or null for any other subject.
    /// </summary>
    /// <remarks>Asked of every NPC message the bridge decodes, so it reads the subject in place.</remarks>
    public static int? NpcIdOf(string subject)
    {
        var rest = subject.AsSpan();
        var afterEnvironment = rest.IndexOf('.');
        if (afterEnvironment < 0)
        {
            return null;
        }

        rest = rest[(afterEnvironment + 1)..];
        if (rest.StartsWith(NpcPrefix, StringComparison.Ordinal))
        {
            rest = rest[NpcPrefix.Length..];
        }
        else if (rest.StartsWith(CheckpointsPrefix, StringComparison.Ordinal))
        {
            rest = rest[CheckpointsPrefix.Length..];
        }
        else
        {
            return null;
        }

        var end = rest.IndexOf('.');
        return end > 0 && int.TryParse(rest[..end], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)
            ? id
            : null;
    }

    /// <summary><c>{env}.npc.{id}.state</c>: an NPC's state, every tick.</summary>
    public Subject NpcState(int npcId) => Subject.Create(Environment, "npc", npcId.ToString(System.Globalization.CultureInfo.InvariantCulture), "state");

    /// <summary><c>{env}.npc.{id}.command</c>: commands to one NPC.</summary>
    public Subject NpcCommand(int npcId) => Subject.Create(Environment, "npc", npcId.ToString(System.Globalization.CultureInfo.InvariantCulture), "command");

    /// <summary><c>{env}.world.grid.step</c>: an NPC's step in the grid world (request/reply).</summary>
    public Subject WorldStep => Subject.Create(Environment, "world", "grid", "step");

    /// <summary><c>{env}.world.grid.quiz</c>: the quiz standings (request/reply).</summary>
    public Subject WorldQuiz => Subject.Create(Environment, "world", "grid", "quiz");

    /// <summary>
    /// <c>{env}.supervisor.checkpoints.{id}.save</c>: a brain hands over its weights (request/reply).
    /// The id is in the subject so that a permission on it decides who may write whose memory.
    /// </summary>
    public Subject CheckpointSave(int npcId) => Subject.Create(Environment, "supervisor", "checkpoints", npcId.ToString(System.Globalization.CultureInfo.InvariantCulture), "save");

    /// <summary><c>{env}.supervisor.checkpoints.{id}.load</c>: a brain asks for its latest weights (request/reply); read by that NPC only.</summary>
    public Subject CheckpointLoad(int npcId) => Subject.Create(Environment, "supervisor", "checkpoints", npcId.ToString(System.Globalization.CultureInfo.InvariantCulture), "load");

    /// <summary><c>{env}.supervisor.checkpoints.*.save</c>: every NPC's saves, for the checkpoint keeper.</summary>
    public SubjectPattern CheckpointSaves => SubjectPattern.Parse($"{Environment}.supervisor.checkpoints.*.save");

    /// <summary><c>{env}.supervisor.checkpoints.*.load</c>: every NPC's loads, for the checkpoint keeper.</summary>
    public SubjectPattern CheckpointLoads => SubjectPattern.Parse($"{Environment}.supervisor.checkpoints.*.load");

    /// <summary>
    /// <c>_INBOX.{env}.npc.{id}</c>: the prefix of the reply subjects of one NPC's requests (its
    /// connection's inbox prefix), so that a permission can let it, and only it, read its answers.
    /// </summary>
    public string NpcInboxPrefix(int npcId) => $"_INBOX.{Environment}.npc.{npcId.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>What NPC <paramref name="npcId"/> may publish: its state, its steps and quiz questions, its own checkpoint saves and loads, its questions to the cortex.</summary>
    public IReadOnlyList<string> NpcMayPublish(int npcId) =>
        [NpcState(npcId).Value, WorldStep.Value, WorldQuiz.Value, CheckpointSave(npcId).Value, CheckpointLoad(npcId).Value, CortexRequest.Value];

    /// <summary><c>{env}.cortex.nyx.request</c>: questions to the cortex (request/reply, one gateway of the queue group answers).</summary>
    public Subject CortexRequest => Subject.Create(Environment, "cortex", "nyx", "request");

    /// <summary><c>{env}.cortex.nyx.response</c>: every answer of the cortex, with its request's id as correlation id.</summary>
    public Subject CortexResponse => Subject.Create(Environment, "cortex", "nyx", "response");

    /// <summary><c>{env}.cortex.nyx.trail</c>: the gateway's decisions, published durably (JetStream) and recorded in PostgreSQL.</summary>
    public Subject CortexTrail => Subject.Create(Environment, "cortex", "nyx", "trail");

    /// <summary>
    /// Requests to an organ (request/reply, one organ manager of the queue group answers):
    /// <c>{env}.organs.vision.detect</c>, <c>{env}.organs.speech.transcribe</c>, <c>{env}.organs.speech.speak</c>.
    /// </summary>
    public Subject OrganRequest(string organ) => organ switch
    {
        OrganNames.Vision => Subject.Create(Environment, "organs", "vision", "detect"),
        OrganNames.SpeechToText => Subject.Create(Environment, "organs", "speech", "transcribe"),
        OrganNames.TextToSpeech => Subject.Create(Environment, "organs", "speech", "speak"),
        _ => throw new ArgumentException($"'{organ}' is not one of {OrganNames.Listed}", nameof(organ)),
    };

    /// <summary><c>{env}.organs.{organ}.state</c>: an organ's lifecycle steps.</summary>
    public Subject OrganState(string organ) => Subject.Create(Environment, "organs", organ, "state");

    /// <summary><c>{env}.organs.{organ}.wave</c>: an organ's answers as waves, which the thalamus weighs as it weighs the cells'.</summary>
    public Subject OrganWave(string organ) => Subject.Create(Environment, "organs", organ, "wave");

    /// <summary><c>{env}.organs.{organ}.trail</c>: each organ operation, published durably (JetStream) and recorded in PostgreSQL.</summary>
    public Subject OrganTrail(string organ) => Subject.Create(Environment, "organs", organ, "trail");

    /// <summary><c>{env}.organs.*.wave</c>: every organ's waves.</summary>
    public SubjectPattern OrganWaves => SubjectPattern.Parse($"{Environment}.organs.*.wave");

    /// <summary>What NPC <paramref name="npcId"/> may subscribe to: its commands and the answers to its own requests.</summary>
    public IReadOnlyList<string> NpcMaySubscribe(int npcId) => [NpcCommand(npcId).Value, NpcInboxPrefix(npcId) + ".>"];

    /// <summary><c>{env}.supervisor.{host}.npc</c>: the lifecycle events of the brains one host runs.</summary>
    public Subject SupervisorNpc(string hostName) => Subject.Create(Environment, "supervisor", hostName, "npc");

    /// <summary><c>{env}.npc.*.state</c>: every NPC's state.</summary>
    public SubjectPattern NpcStates => SubjectPattern.Parse($"{Environment}.npc.*.state");

    /// <summary><c>{env}.supervisor.*.npc</c>: every host's brain lifecycle events.</summary>
    public SubjectPattern NpcLifecycles => SubjectPattern.Parse($"{Environment}.supervisor.*.npc");
}
