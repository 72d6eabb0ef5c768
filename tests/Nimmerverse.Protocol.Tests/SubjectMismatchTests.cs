using Nimmerverse.Testing;

namespace Nimmerverse.Protocol.Tests;

/// <summary>A body about one NPC arrives on a subject that names an NPC: the two must agree.</summary>
[Category(TestTier.Unit)]
public sealed class SubjectMismatchTests
{
    private static readonly byte[] StateOfSeven = WireCodec.Default.Encode(WireSamples.Envelope(WireSamples.NpcState));

    [Test]
    public void A_state_of_npc_7_on_npc_5s_subject_is_refused_as_a_subject_mismatch()
    {
        var decoded = WireCodec.Default.Decode<NpcStateBody>(StateOfSeven, "dev.npc.5.state");

        Assert.That(decoded.Envelope, Is.Null);
        Assert.That(decoded.Rejection!.Reason, Is.EqualTo(RejectionReason.SubjectMismatch));
        Assert.That(decoded.Rejection.Detail, Does.Contain("NPC 7").And.Contain("NPC 5"));
    }

    [Test]
    public void A_checkpoint_of_npc_7_on_npc_15s_checkpoint_subject_is_refused_as_a_subject_mismatch()
    {
        var codec = new WireCodec(NpcCheckpointBody.MaxPayloadBytes);
        var forged = codec.Encode(WireSamples.Envelope(WireSamples.Checkpoint));

        Assert.That(codec.Decode<NpcCheckpointBody>(forged, "dev.supervisor.checkpoints.15.save").Rejection?.Reason, Is.EqualTo(RejectionReason.SubjectMismatch));
        Assert.That(codec.Decode<NpcCheckpointBody>(forged, "dev.supervisor.checkpoints.7.save").Envelope?.Body.NpcId, Is.EqualTo(7));
        Assert.That(WireCodec.Default.Decode<CheckpointQueryBody>(WireCodec.Default.Encode(WireSamples.Envelope(new CheckpointQueryBody(7))), "dev.supervisor.checkpoints.15.load").Rejection?.Reason, Is.EqualTo(RejectionReason.SubjectMismatch), "nor may one NPC ask for another's weights");
    }

    [TestCase("dev.npc.7.state", TestName = "On its own subject the same state is accepted")]
    [TestCase("dev.world.grid.step", TestName = "A subject that names no NPC has nothing to disagree with")]
    public void The_same_state_is_accepted_where_nothing_disagrees(string subject)
    {
        Assert.That(WireCodec.Default.Decode<NpcStateBody>(StateOfSeven, subject).Envelope?.Body.NpcId, Is.EqualTo(7));
    }

    [TestCase("dev.npc.5.state", 5)]
    [TestCase("prod.npc.1000000.command", 1_000_000)]
    [TestCase("dev.npc.x.state", null)]
    [TestCase("dev.npc.-1.state", null)]
    [TestCase("dev.nervous.cells.math.request", null)]
    [TestCase("dev.supervisor.checkpoints.15.save", 15)]
    [TestCase("dev.supervisor.checkpoints.15.load", 15)]
    [TestCase("dev.supervisor.checkpoints.x.save", null)]
    [TestCase("dev.supervisor.theia.npc", null)]
    public void The_npc_a_subject_names_is_read_from_it(string subject, int? npcId)
    {
        Assert.That(Subjects.NpcIdOf(subject), Is.EqualTo(npcId));
    }
}
