using System.Text.Json;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;

namespace Nimmerverse.Protocol.Tests;

/// <summary>What a cortex request may say, and the response schemas made from their records.</summary>
[Category(TestTier.Unit)]
public sealed class CortexBodyTests
{
    private static CortexRequestBody Question(string requester = "npc-3", string content = "Where is the red house?\nI am lost.") =>
        new(requester, [new CortexMessage("user", content)], 32);

    [Test]
    public void A_prompt_may_break_lines_but_holds_no_other_control_character()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Question().Problem(), Is.Null);
            Assert.That(Question(content: "bell\u0007").Problem(), Does.Contain("control character U+0007"));
            Assert.That(Question(content: "half \ud800").Problem(), Does.Contain("lone surrogate"));
        });
    }

    [TestCase("npc-3", 3)]
    [TestCase("operator", null)]
    [TestCase("boundary", null)]
    public void The_requester_names_an_NPC_or_another_asker(string requester, int? npcId)
    {
        Assert.That(Question(requester).Problem(), Is.Null);
        Assert.That(Question(requester).NpcId, Is.EqualTo(npcId));
    }

    [TestCase("", "1-64 characters")]
    [TestCase("Operator", "lower-case")]
    [TestCase("npc-x", "names no NPC")]
    [TestCase("npc--1", "names no NPC")]
    public void A_requester_that_is_no_name_is_refused(string requester, string problem)
    {
        Assert.That(Question(requester).Problem(), Does.Contain(problem));
    }

    [Test]
    public void An_oversized_or_empty_conversation_and_silly_limits_are_refused()
    {
        var half = new string('a', (CortexRequestBody.MaxPromptCharacters / 2) + 1);
        Assert.Multiple(() =>
        {
            Assert.That((Question() with { Messages = [new("user", half), new("user", half)] }).Problem(), Does.Contain("the prompt is"));
            Assert.That((Question() with { Messages = [] }).Problem(), Is.EqualTo("messages is empty"));
            Assert.That((Question() with { Messages = [new("tool", "x")] }).Problem(), Does.Contain("role 'tool'"));
            Assert.That((Question() with { MaxTokens = 0 }).Problem(), Does.Contain("max_tokens 0"));
            Assert.That((Question() with { ResponseTimeoutMs = 50 }).Problem(), Does.Contain("response_timeout_ms 50"));
        });
    }

    [Test]
    public void A_response_is_consistent_with_its_status()
    {
        Assert.Multiple(() =>
        {
            Assert.That(new CortexResponseBody("npc-3", "answered", Content: "hi", Model: "nyx", Usage: new(1, 1, 2), LifeforceSpent: 20.02).Problem(), Is.Null);
            Assert.That(new CortexResponseBody("npc-3", "answered", Content: "hi").Problem(), Does.Contain("needs content, model and usage"));
            Assert.That(new CortexResponseBody("npc-3", "refused", "timeout").Problem(), Does.Contain("a refusal's reason 'timeout'"));
            Assert.That(new CortexResponseBody("npc-3", "failed", "gate_closed").Problem(), Does.Contain("a failure's reason"));
            Assert.That(new CortexResponseBody("npc-3", "refused", "gate_closed", LifeforceSpent: 1).Problem(), Does.Contain("only an answered request spends"));
        });
    }

    [Test]
    public void A_response_schema_is_its_record_with_every_field_required_and_no_other()
    {
        var schema = CortexSchemas.SchemaOf(CortexSchemas.Direction);
        Assert.Multiple(() =>
        {
            Assert.That(schema["properties"]!["direction"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()), Is.EqualTo(new[] { "N", "S", "E", "W" }));
            Assert.That(schema["required"]!.AsArray().Select(v => v!.GetValue<string>()), Is.EquivalentTo(new[] { "direction", "confidence" }));
            Assert.That(schema["additionalProperties"]!.GetValue<bool>(), Is.False);
            Assert.That((schema["properties"]!["confidence"]!["minimum"]!.GetValue<double>(), schema["properties"]!["confidence"]!["maximum"]!.GetValue<double>()), Is.EqualTo((0.0, 1.0)), "the record's [Range]");
        });
        var commands = CortexSchemas.SchemaOf(CortexSchemas.DownstreamCommands)["properties"]!["downstream_commands"]!;
        Assert.Multiple(() =>
        {
            Assert.That(commands["maxItems"]!.GetValue<int>(), Is.EqualTo(4), "[MaxLength] on a list");
            Assert.That(commands["items"]!["properties"]!["target"]!["maxLength"]!.GetValue<int>(), Is.EqualTo(32), "[MaxLength] on text");
            Assert.That(commands["items"]!["properties"]!["payload"]!["type"]!.GetValue<string>(), Is.EqualTo("object"), "free JSON is an object");
        });
    }

    [TestCase("""{"direction": "N", "confidence": 0.5}""", null)]
    [TestCase("""{"direction": "X", "confidence": 0.5}""", "not a DirectionAdvice")]
    [TestCase("""{"direction": "N"}""", "missing required properties")]
    [TestCase("""{"direction": "N", "confidence": 0.5, "why": "because"}""", "not a DirectionAdvice")]
    [TestCase("""[1, 2]""", "not a DirectionAdvice")]
    [TestCase("""{"direction": "N", "confidence": 1.5}""", "between 0 and 1")]
    [TestCase("""the north""", "not a DirectionAdvice")]
    public void An_answer_is_checked_against_its_record(string json, string? problem)
    {
        var found = CortexSchemas.Problem(CortexSchemas.Direction, json);
        Assert.That(found, problem is null ? Is.Null : Does.Contain(problem));
    }

    [Test]
    public void Downstream_commands_are_bounded_and_their_payload_a_json_object()
    {
        var many = JsonSerializer.Serialize(new { downstream_commands = Enumerable.Range(0, 5).Select(i => new { target = $"npc-{i}", command = "pause", payload = new { } }) });
        Assert.Multiple(() =>
        {
            Assert.That(CortexSchemas.Problem(CortexSchemas.DownstreamCommands, """{"downstream_commands": [{"target": "npc-1", "command": "pause", "payload": {"why": "tired"}}]}"""), Is.Null);
            Assert.That(CortexSchemas.Problem(CortexSchemas.DownstreamCommands, many), Does.Contain("maximum length of '4'"));
            Assert.That(CortexSchemas.Problem(CortexSchemas.DownstreamCommands, """{"downstream_commands": [{"target": "npc-1", "command": "pause", "payload": 3}]}"""), Does.Contain("not an object"));
        });
    }
}
