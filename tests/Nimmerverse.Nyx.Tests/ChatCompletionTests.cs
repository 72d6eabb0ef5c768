using System.ClientModel;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Nimmerverse.Testing;
using OpenAI;
using OpenAI.Chat;

using Nimmerverse.Testing.Nyx;

namespace Nimmerverse.Nyx.Tests;

/// <summary>
/// The server as any OpenAI client sees it: the official .NET SDK asks it for whole and streamed
/// completions of the shipped tiny model, with the usage counted; and plain HTTP for what the SDK
/// does not send (vLLM's <c>priority</c>) and for bad requests.
/// </summary>
[Category(TestTier.Integration)]
public sealed class ChatCompletionTests
{
    private NyxServer _server = null!;

    [OneTimeSetUp]
    public async Task Start() => _server = await NyxServer.StartAsync();

    [OneTimeTearDown]
    public async Task Stop() => await _server.DisposeAsync();

    private ChatClient Client(string model = "nyx") =>
        new(model, new ApiKeyCredential("not-checked"), new OpenAIClientOptions { Endpoint = new Uri(_server.Url, "/v1") });

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string json)
    {
        using var response = await _server.Http.PostAsync(new Uri(_server.Url, "/v1/chat/completions"), new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    [Test]
    public async Task The_models_are_listed_as_OpenAI_lists_them()
    {
        var models = await _server.Http.GetFromJsonAsync<JsonElement>(new Uri(_server.Url, "/v1/models"));

        Assert.That(models.GetProperty("object").GetString(), Is.EqualTo("list"));
        Assert.That(models.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()), Is.EquivalentTo(new[] { "nyx", "function-gemma" }));
        Assert.That(models.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("object").GetString()), Is.All.EqualTo("model"));
    }

    [Test]
    public async Task A_completion_through_the_OpenAI_SDK_has_text_and_counted_usage()
    {
        ChatCompletion completion = await Client().CompleteChatAsync(
            [new SystemChatMessage("You tell stories."), new UserChatMessage("Once upon a time")],
            new ChatCompletionOptions { MaxOutputTokenCount = 24, Temperature = 0.8f });

        Assert.That(completion.Content[0].Text, Is.Not.Empty, _server.Log);
        Assert.That(completion.Role, Is.EqualTo(ChatMessageRole.Assistant));
        Assert.That(completion.Usage.InputTokenCount, Is.GreaterThan(3), "the prompt's tokens");
        Assert.That(completion.Usage.OutputTokenCount, Is.InRange(1, 24));
        Assert.That(completion.Usage.TotalTokenCount, Is.EqualTo(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount));
        Assert.That(completion.FinishReason, Is.EqualTo(completion.Usage.OutputTokenCount == 24 ? ChatFinishReason.Length : ChatFinishReason.Stop));
        Assert.That(completion.Model, Is.EqualTo("nyx"));
    }

    [Test]
    public async Task A_streamed_completion_arrives_in_pieces_and_ends_with_its_reason_and_usage()
    {
        var pieces = new List<string>();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in Client("function-gemma").CompleteChatStreamingAsync(
            [new UserChatMessage("Tim had a red ball.")], new ChatCompletionOptions { MaxOutputTokenCount = 32 }))
        {
            pieces.AddRange(update.ContentUpdate.Select(part => part.Text));
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.That(pieces.Count(p => p.Length > 0), Is.GreaterThan(1), "more than one piece");
        Assert.That(finish, Is.Not.Null);
        Assert.That(usage, Is.Not.Null, "the SDK asks for the usage chunk (stream_options.include_usage)");
        Assert.That(usage!.OutputTokenCount, Is.InRange(pieces.Count(p => p.Length > 0), 32), "each piece is a token; a token may decode to nothing yet");
    }

    [Test]
    public async Task Bad_requests_are_answered_in_OpenAIs_error_shape_and_the_server_goes_on()
    {
        var cases = new (string Body, HttpStatusCode Status, string Says)[]
        {
            ("{ not json", HttpStatusCode.BadRequest, "not JSON"),
            ("""{"model": "nyx"}""", HttpStatusCode.BadRequest, "'messages' is required"),
            ("""{"model": "nyx", "messages": [{"role": "wizard", "content": "hi"}]}""", HttpStatusCode.BadRequest, "messages[0] has no role"),
            ("""{"model": "nyx", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}""", HttpStatusCode.BadRequest, "max_tokens 0 is not positive"),
            ("""{"model": "nyx", "messages": [{"role": "user", "content": "hi"}], "temperature": "hot"}""", HttpStatusCode.BadRequest, "temperature"),
            ("""{"model": "qwen-72b", "messages": [{"role": "user", "content": "hi"}]}""", HttpStatusCode.NotFound, "The model `qwen-72b` does not exist."),
            ("""{"model": "nyx", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 3000}""", HttpStatusCode.BadRequest, "This model's maximum context length is 2048 tokens. However, you requested"),
        };

        foreach (var (body, status, says) in cases)
        {
            var (answered, error) = await PostAsync(body);
            Assert.That(answered, Is.EqualTo(status), body);
            Assert.That(error.GetProperty("error").GetProperty("message").GetString(), Does.Contain(says), body);
            Assert.That(error.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo((int)status));
        }

        var (ok, _) = await PostAsync("""{"model": "nyx", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}""");
        Assert.That(ok, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task First_come_first_served_refuses_a_priority_with_vLLMs_words()
    {
        var (status, error) = await PostAsync("""{"model": "nyx", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4, "priority": 3}""");

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(error.GetProperty("error").GetProperty("message").GetString(), Is.EqualTo("Got priority 3 but Priority scheduling is not enabled."));
        var (zero, _) = await PostAsync("""{"model": "nyx", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4, "priority": 0}""");
        Assert.That(zero, Is.EqualTo(HttpStatusCode.OK), "priority 0 is every request's under first come, first served");
    }
}
