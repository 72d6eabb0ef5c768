using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Cli;
using Nimmerverse.Supervisor.Persistence;
using Nimmerverse.Supervisor.Tests.Persistence;
using Nimmerverse.Testing;

namespace Nimmerverse.Supervisor.Tests.Cli;

/// <summary><c>nimmerverse trails export</c> against a real PostgreSQL: each line a chat-format training example naming its trail.</summary>
[Category(TestTier.Integration)]
public sealed class TrailsExportTests : FreshDatabaseTest
{
    private static readonly MessageSource Gateway = new("cortex@theia", "cortex", 4);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero));

    private static Envelope<CortexTrailBody> Trail(CortexTrailBody body, DateTimeOffset at) =>
        new(new MessageHeader(Guid.NewGuid(), CortexTrailBody.MessageType, 1, at, Gateway), body);

    private async Task<(int Exit, string[] Lines, string Error)> ExportAsync(params string[] args)
    {
        var file = Path.Combine(Path.GetTempPath(), $"nv-export-{Guid.NewGuid():N}.jsonl");
        using var error = new StringWriter();
        var exit = await new TrailsCommand(TextWriter.Null, error).RunAsync(["export", .. args, "--out", file], Database.ConnectionString, _clock, CancellationToken.None);
        var lines = File.Exists(file) ? await File.ReadAllLinesAsync(file) : [];
        File.Delete(file);
        return (exit, lines, error.ToString());
    }

    [Test]
    public async Task Each_kind_of_trail_becomes_chat_examples_that_name_their_trail_and_since_leaves_older_ones_out()
    {
        await SchemaMigrations.ApplyAsync(DataSource, default);
        var store = new PostgresCortexTrailStore(DataSource, new PostgresDeadLetters(DataSource));
        CortexMessage[] asked = [new("system", "You guide NPCs."), new("user", "Which way?\nI am lost.")];
        var now = _clock.GetUtcNow();
        var trails = new[]
        {
            Trail(new CortexTrailBody(Guid.NewGuid(), "npc-3", "answered", 7, ResponseSchema: "direction", Messages: asked, Content: """{"direction": "N", "confidence": 0.8}""", Model: "nyx", Usage: new(20, 12, 32)), now.AddHours(-1)),
            Trail(new CortexTrailBody(Guid.NewGuid(), "npc-3", "answered", 7, Messages: asked, Content: "long ago", Model: "nyx", Usage: new(20, 2, 22)), now.AddDays(-3)),
            Trail(new CortexTrailBody(Guid.NewGuid(), "npc-4", "refused", 2, "gate_closed"), now.AddMinutes(-5)),
            Trail(new CortexTrailBody(Guid.NewGuid(), "boundary", "answered", 0, ResponseSchema: "cognitive_assessment", Messages: asked, Content: """{"event_type": "goal_reached"}""", Model: "function-gemma"), now.AddMinutes(-2)),
            Trail(new CortexTrailBody(Guid.NewGuid(), "boundary", "failed", 0, "invalid_output", ResponseSchema: "cognitive_assessment", Messages: asked, Content: "nonsense", Model: "function-gemma"), now.AddMinutes(-1)),
        };
        Assert.That(await store.WriteAsync(trails, default), Is.EqualTo(trails.Length));
        var governor = Trails.Many(4);
        await new PostgresDecisionTrailStore(DataSource, new PostgresDeadLetters(DataSource)).WriteAsync(governor, default);

        var (exit, cortex, error) = await ExportAsync("--what", "cortex", "--since", "24h");
        Assert.That(exit, Is.Zero, error);
        var example = JsonDocument.Parse(cortex.Single()).RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(example.GetProperty("trail_id").GetGuid(), Is.EqualTo(trails[0].Header.MessageId), "only the answered one of the last day");
            Assert.That(example.GetProperty("model").GetString(), Is.EqualTo("nyx"));
            Assert.That(example.GetProperty("response_schema").GetString(), Is.EqualTo("direction"));
            var messages = example.GetProperty("messages").EnumerateArray().Select(m => (m.GetProperty("role").GetString(), m.GetProperty("content").GetString())).ToList();
            Assert.That(messages, Is.EqualTo(new[] { ("system", "You guide NPCs."), ("user", "Which way?\nI am lost."), ("assistant", """{"direction": "N", "confidence": 0.8}""") }));
            Assert.That(error, Does.Contain("1 cortex examples"));
        });
        Assert.That((await ExportAsync("--what", "cortex")).Lines, Has.Length.EqualTo(2), "without --since: all of them");

        var (_, gemma, _) = await ExportAsync("--what", "function-gemma");
        Assert.That(gemma.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("trail_id").GetGuid()), Is.EqualTo(new[] { trails[3].Header.MessageId }), "the valid assessment, not the NACK");

        var (_, decisions, _) = await ExportAsync("--what", "governor");
        Assert.That(decisions, Has.Length.EqualTo(governor.Count));
        var decision = JsonDocument.Parse(decisions[0]).RootElement;
        var first = governor.OrderBy(t => t.DecidedAt).ThenBy(t => t.NpcId).First();
        var asItWas = JsonDocument.Parse(decision.GetProperty("messages")[1].GetProperty("content").GetString()!).RootElement;
        var allocation = JsonDocument.Parse(decision.GetProperty("messages")[2].GetProperty("content").GetString()!).RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(decision.GetProperty("trail_id").GetGuid(), Is.EqualTo(first.MessageId));
            Assert.That(asItWas.GetProperty("features").GetArrayLength(), Is.EqualTo(first.Inputs.Length));
            Assert.That(allocation.GetProperty("llm_priority").GetInt32(), Is.EqualTo(first.Output.LlmPriority));
            Assert.That(decision.GetProperty("reward").GetDouble(), Is.EqualTo(first.Reward).Within(1e-9));
            Assert.That(decision.GetProperty("progress").ValueKind, Is.EqualTo(JsonValueKind.Null), "its NPC's first epoch: no outcome before it");
            Assert.That(decision.GetProperty("price").ValueKind, Is.EqualTo(JsonValueKind.Null), "NPC 0's policy priced nothing");
        });
        var withOutcome = governor.First(t => t.Outcome is not null);
        var line = decisions.Select(l => JsonDocument.Parse(l).RootElement).Single(l => l.GetProperty("trail_id").GetGuid() == withOutcome.MessageId);
        Assert.That((line.GetProperty("progress").GetDouble(), line.GetProperty("cost").GetDouble()), Is.EqualTo((withOutcome.Outcome!.Value.Progress, withOutcome.Outcome.Value.Cost)));
        var priced = governor.First(t => t.Price is not null);
        Assert.That(decisions.Select(l => JsonDocument.Parse(l).RootElement).Single(l => l.GetProperty("trail_id").GetGuid() == priced.MessageId).GetProperty("price").GetDouble(), Is.EqualTo(priced.Price));
    }

    [TestCase("--what", "dreams")]
    [TestCase("--what", "cortex", "--since", "yesterday")]
    [TestCase("--wat", "cortex")]
    public async Task A_bad_argument_is_a_usage_error(params string[] args)
    {
        using var error = new StringWriter();
        Assert.That(await new TrailsCommand(TextWriter.Null, error).RunAsync(["export", .. args], Database.ConnectionString, _clock, CancellationToken.None), Is.EqualTo(Program.ExitUsage));
        Assert.That(error.ToString(), Does.Contain("usage: nimmerverse trails export"));
    }
}
