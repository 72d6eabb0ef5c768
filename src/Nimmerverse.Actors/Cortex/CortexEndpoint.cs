using System.ClientModel;
using System.ClientModel.Primitives;
using Nimmerverse.Protocol;
using OpenAI;
using OpenAI.Chat;

namespace Nimmerverse.Actors.Cortex;

/// <summary>One call to the model: the conversation, how much it may answer, the schema the answer must follow, vLLM's <c>priority</c> (lower first).</summary>
public sealed record CortexCall(IReadOnlyList<CortexMessage> Messages, int MaxTokens, string? ResponseSchema, int EndpointPriority);

/// <summary>What the model answered.</summary>
public sealed record CortexCompletion(string Content, string Model, CortexUsage Usage);

/// <summary>
/// A call that got no answer. <paramref name="reason"/> is one of <see cref="CortexReasons.Failures"/>;
/// <paramref name="endpointAtFault"/> says whether it counts against the endpoint's health (a
/// refused connection, a 5xx, a hang do; a 4xx about the request itself does not).
/// </summary>
public sealed class CortexCallException(string reason, string detail, bool endpointAtFault, Exception? inner = null) : Exception(detail, inner)
{
    public string Reason { get; } = reason;

    public bool EndpointAtFault { get; } = endpointAtFault;
}

/// <summary>An OpenAI-compatible chat endpoint.</summary>
public interface ICortexEndpoint
{
    /// <exception cref="CortexCallException">When there is no answer, with the reason.</exception>
    /// <exception cref="OperationCanceledException">When <paramref name="cancellationToken"/> ended the call.</exception>
    Task<CortexCompletion> CompleteAsync(CortexCall call, CancellationToken cancellationToken);
}

/// <summary>
/// The endpoint through the OpenAI .NET SDK. The SDK retries 408, 429 and 5xx three times with
/// back-off by itself; here it must not: the gateway has a deadline per request, a queue that
/// already holds the retries' place, and a circuit breaker that must see each failure. So its
/// retry policy is none, and its own network timeout is the gateway's deadline (the token).
/// vLLM's <c>priority</c> is no OpenAI field: it goes into the request body through the SDK's JSON patch.
/// </summary>
public sealed class OpenAiCortexEndpoint : ICortexEndpoint
{
    private readonly ChatClient _client;
    private readonly string _model;

    public OpenAiCortexEndpoint(Uri endpoint, string model, string? apiKey)
    {
        _model = model;
        _client = new ChatClient(model, new ApiKeyCredential(apiKey ?? "none"), new OpenAIClientOptions
        {
            Endpoint = endpoint,
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = Timeout.InfiniteTimeSpan,
            UserAgentApplicationId = "nimmerverse-cortex",
        });
    }

    /// <summary>From the gateway's settings (the key read from <see cref="CortexSettings.ApiKeyFile"/>).</summary>
    public static OpenAiCortexEndpoint From(CortexSettings settings) =>
        new(new Uri(settings.Endpoint), settings.Model, ApiKey(settings));

    /// <summary>Function Gemma, for the boundary: its own endpoint and model, or the cortex's endpoint; the cortex's key.</summary>
    public static OpenAiCortexEndpoint From(BoundarySettings boundary, CortexSettings cortex) =>
        new(new Uri(boundary.Endpoint ?? cortex.Endpoint), boundary.Model, ApiKey(cortex));

    private static string? ApiKey(CortexSettings settings) => settings.ApiKeyFile is { } file ? File.ReadAllText(file).Trim() : null;

    public async Task<CortexCompletion> CompleteAsync(CortexCall call, CancellationToken cancellationToken)
    {
        var options = new ChatCompletionOptions { MaxOutputTokenCount = call.MaxTokens };
        if (call.ResponseSchema is { } schema)
        {
            options.ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat(schema, BinaryData.FromString(CortexSchemas.SchemaOf(schema).ToJsonString()), jsonSchemaIsStrict: true);
        }

        if (call.EndpointPriority != 0)
        {
#pragma warning disable SCME0001 // JsonPatch is the SDK's way to send a field it does not model
            options.Patch.Set("$.priority"u8, call.EndpointPriority);
#pragma warning restore SCME0001
        }

        ChatCompletion completion;
        try
        {
            completion = (await _client.CompleteChatAsync(call.Messages.Select(Message), options, cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (ClientResultException e) when (e.Status is >= 400 and < 500 and not 408 and not 429)
        {
            throw new CortexCallException(CortexReasons.BadRequest, $"the endpoint refused the request ({e.Status}): {e.Message}", endpointAtFault: false, e);
        }
        catch (ClientResultException e)
        {
            throw new CortexCallException(CortexReasons.EndpointError, e.Status == 0 ? e.Message : $"the endpoint failed ({e.Status}): {e.Message}", endpointAtFault: true, e);
        }
        catch (HttpRequestException e)
        {
            throw new CortexCallException(CortexReasons.EndpointError, $"the endpoint cannot be reached: {e.Message}", endpointAtFault: true, e);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            throw new CortexCallException(CortexReasons.EndpointError, $"the endpoint's answer cannot be read: {e.Message}", endpointAtFault: true, e);
        }

        var text = completion.Content.Count > 0 ? string.Concat(completion.Content.Select(part => part.Text)) : null;
        if (text is null || completion.Usage is not { } usage)
        {
            throw new CortexCallException(CortexReasons.EndpointError, "the endpoint answered without text or usage", endpointAtFault: true);
        }

        // A broken or hostile server's text must not make the gateway's own messages invalid.
        return new CortexCompletion(PrintableText.Prose(text, CortexRequestBody.MaxPromptCharacters), PrintableText.Of(completion.Model ?? _model, 256), new CortexUsage(usage.InputTokenCount, usage.OutputTokenCount, usage.TotalTokenCount));
    }

    private static ChatMessage Message(CortexMessage message) => message.Role switch
    {
        "system" => new SystemChatMessage(message.Content),
        "assistant" => new AssistantChatMessage(message.Content),
        _ => new UserChatMessage(message.Content),
    };
}
