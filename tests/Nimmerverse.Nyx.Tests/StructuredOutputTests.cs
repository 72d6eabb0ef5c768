// The SDK marks Seed experimental; the server honours it, and these tests need answers that differ.
#pragma warning disable OPENAI001

using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Nimmerverse.Nyx.Serving;
using Nimmerverse.Testing;
using OpenAI;
using OpenAI.Chat;

using Nimmerverse.Testing.Nyx;

namespace Nimmerverse.Nyx.Tests;

/// <summary>
/// <c>response_format</c> with a JSON schema: the tiny story model, held to a grammar made from the
/// schema, answers documents the schema accepts, every time (checked by an independent JSON Schema
/// validator); what the grammar cannot express is refused, never loosened.
/// </summary>
[Category(TestTier.Integration)]
public sealed class StructuredOutputTests
{
    private const string Direction = """
        {"type": "object", "properties": {"direction": {"enum": ["N", "S", "E", "W"]}, "confidence": {"type": "number"}},
         "required": ["direction", "confidence"], "additionalProperties": false}
        """;

    private const string Report = """
        {"type": "object", "properties": {
            "event_type": {"enum": ["gate_opened", "npc_stuck"]},
            "domain": {"type": "string", "maxLength": 12},
            "urgent": {"type": "boolean"},
            "level": {"type": "integer"},
            "note": {"type": ["string", "null"], "maxLength": 16},
            "actions": {"type": "array", "minItems": 1, "maxItems": 3, "items": {
                "type": "object", "properties": {"action": {"type": "string", "maxLength": 16}, "confidence": {"type": "number"}}, "required": ["action", "confidence"]}}},
         "required": ["event_type", "domain", "urgent", "level", "note", "actions"]}
        """;

    /// <summary>Bounds the grammar holds exactly: a probability, a small integer range, and an object of anything.</summary>
    private const string Bounded = """
        {"type": "object", "properties": {
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "priority": {"type": "integer", "minimum": 0, "maximum": 10},
            "facts": {"type": "object"}},
         "required": ["confidence", "priority", "facts"], "additionalProperties": false}
        """;

    private NyxServer _server = null!;

    [OneTimeSetUp]
    public async Task Start() => _server = await NyxServer.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    private ChatClient Client => new("function-gemma", new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(_server.Url, "/v1") });

    [TestCase(Direction, "direction")]
    [TestCase(Report, "report")]
    [TestCase(Bounded, "bounded")]
    public async Task Every_answer_is_a_document_the_schema_accepts(string schemaText, string name)
    {
        var schema = JsonSchema.FromText(schemaText);
        var options = new ChatCompletionOptions
        {
            MaxOutputTokenCount = 400,
            ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat(name, BinaryData.FromString(schemaText), jsonSchemaIsStrict: true),
        };

        for (var seed = 1; seed <= 6; seed++)
        {
            options.Seed = seed;
            ChatCompletion answer = await Client.CompleteChatAsync([new UserChatMessage("NPC 7 failed five episodes in a row. Which way?")], options);
            var text = answer.Content[0].Text;

            Assert.That(answer.FinishReason, Is.EqualTo(ChatFinishReason.Stop), $"the grammar ended it, not max_tokens: {text}");
            var result = schema.Evaluate(JsonDocument.Parse(text).RootElement);
            Assert.That(result.IsValid, Is.True, $"seed {seed}: {text}");
        }
    }

    [Test]
    public async Task A_json_object_format_answers_one_JSON_object()
    {
        for (var seed = 1; seed <= 4; seed++)
        {
            var options = new ChatCompletionOptions { MaxOutputTokenCount = 480, ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat(), Seed = seed };

            ChatCompletion answer = await Client.CompleteChatAsync([new UserChatMessage("Say it as JSON.")], options);

            Assert.That(answer.FinishReason, Is.EqualTo(ChatFinishReason.Stop), answer.Content[0].Text);
            Assert.That(JsonNode.Parse(answer.Content[0].Text), Is.InstanceOf<JsonObject>(), answer.Content[0].Text);
        }
    }

    [TestCase("""{"type": "object", "properties": {"next": {"$ref": "#"}}}""", "root.next: '$ref' is not supported")]
    [TestCase("""{"type": "string", "pattern": "^[a-z]+$"}""", "root: 'pattern' is not supported")]
    [TestCase("""{"properties": {}}""", "root: no 'type'")]
    [TestCase("""{"type": "array"}""", "root: an array needs 'items'")]
    [TestCase("""{"type": "number", "minimum": 0, "maximum": 7.5}""", "root: 'minimum' 0 and 'maximum' 7.5 cannot be held exactly")]
    [TestCase("""{"type": "integer", "minimum": 0}""", "root: 'minimum' and 'maximum' are supported together only")]
    public async Task A_schema_the_grammar_cannot_express_is_refused_naming_where(string schema, string says)
    {
        var body = """{"model": "nyx", "messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": """ + schema + "}}}";

        using var response = await _server.Http.PostAsync(new Uri(_server.Url, "/v1/chat/completions"), new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain(says));
    }

    [Test]
    public void Rule_names_of_properties_that_differ_only_in_case_do_not_meet()
    {
        var (gbnf, problem) = JsonSchemaGrammar.From(JsonNode.Parse("""{"type": "object", "properties": {"a": {"type": "string"}, "A": {"type": "integer"}}}"""));

        Assert.That(problem, Is.Null);
        Assert.That(gbnf, Does.Contain("root-a ::= string").And.Contain("root-a-2 ::= integer"));
    }
}
