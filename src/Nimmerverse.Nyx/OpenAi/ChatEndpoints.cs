using System.Text.Json;
using System.Text.Json.Nodes;
using Nimmerverse.Nyx.Serving;

namespace Nimmerverse.Nyx.OpenAi;

/// <summary>
/// The OpenAI-compatible surface: <c>/v1/models</c>, <c>/v1/chat/completions</c> (whole or streamed
/// as server-sent events, with <c>usage</c>), <c>/health</c>. Errors in OpenAI's shape
/// (<c>{"error": {"message", "type", "param", "code"}}</c>), with vLLM's words where vLLM has them.
/// Each answer carries <c>x-nyx-served</c>: its place in its model's service order.
/// </summary>
public static class ChatEndpoints
{
    public const string ServedHeader = "x-nyx-served";

    private static readonly long Created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public static void MapChatEndpoints(this WebApplication app, NyxOptions options, IReadOnlyDictionary<string, ModelWorker> models)
    {
        app.MapGet("/health", () => Results.Ok());
        app.MapGet("/v1/models", () => Results.Json(new JsonObject
        {
            ["object"] = "list",
            ["data"] = new JsonArray([.. models.Keys.Select(name => (JsonNode)new JsonObject { ["id"] = name, ["object"] = "model", ["created"] = Created, ["owned_by"] = "nimmerverse" })]),
        }));
        app.MapPost("/v1/chat/completions", (HttpContext http) => CompleteAsync(http, options, models));
        // Prometheus text, named after vLLM's own gauges.
        app.MapGet("/metrics", () => Results.Text(
            "# TYPE nyx_num_requests_waiting gauge\n" + string.Concat(models.Values.Select(m => $"nyx_num_requests_waiting{{model_name=\"{m.Name}\"}} {m.QueueDepth}\n")),
            "text/plain; version=0.0.4"));
    }

    private static async Task CompleteAsync(HttpContext http, NyxOptions options, IReadOnlyDictionary<string, ModelWorker> models)
    {
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, http.RequestAborted).ConfigureAwait(false);
        var (request, problem) = ChatRequest.Parse(body.ToArray());
        if (request is null)
        {
            await ErrorAsync(http, 400, "BadRequestError", problem!).ConfigureAwait(false);
            return;
        }

        if (!models.TryGetValue(request.Model, out var worker))
        {
            await ErrorAsync(http, 404, "NotFoundError", $"The model `{request.Model}` does not exist.").ConfigureAwait(false);
            return;
        }

        if (request.Priority != 0 && !options.PriorityScheduling)
        {
            await ErrorAsync(http, 400, "BadRequestError", $"Got priority {request.Priority} but Priority scheduling is not enabled.").ConfigureAwait(false);
            return;
        }

        // As vLLM: prompt and answer must fit the context; without max_tokens the answer gets what is left.
        var promptTokens = worker.CountTokens(request.Prompt);
        var maxTokens = request.MaxTokens ?? Math.Min(options.DefaultMaxTokens, worker.ContextSize - promptTokens);
        if (promptTokens + maxTokens > worker.ContextSize || maxTokens < 1)
        {
            await ErrorAsync(http, 400, "BadRequestError",
                $"This model's maximum context length is {worker.ContextSize} tokens. However, you requested {promptTokens + Math.Max(maxTokens, 0)} tokens ({promptTokens} in the messages, {Math.Max(maxTokens, 0)} in the completion). Please reduce the length of the messages or completion.").ConfigureAwait(false);
            return;
        }

        var job = new GenerationJob(request.Prompt, promptTokens, maxTokens, request.Temperature, request.Seed, request.Priority, request.IgnoreEos, request.Grammar, http.RequestAborted);
        if (!worker.TryEnqueue(job))
        {
            await ErrorAsync(http, 429, "RateLimitError", $"The queue of model `{request.Model}` is full ({options.MaxQueue} waiting); try again later.").ConfigureAwait(false);
            return;
        }

        var id = $"chatcmpl-{Guid.NewGuid():N}";
        try
        {
            var served = await job.Served.Task.WaitAsync(http.RequestAborted).ConfigureAwait(false);
            http.Response.Headers[ServedHeader] = served.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (request.Stream)
            {
                await StreamAsync(http, request, job, id).ConfigureAwait(false);
            }
            else
            {
                var text = new System.Text.StringBuilder();
                await foreach (var piece in job.Pieces.Reader.ReadAllAsync(http.RequestAborted).ConfigureAwait(false))
                {
                    text.Append(piece);
                }

                var result = await job.Result.Task.ConfigureAwait(false);
                await http.Response.WriteAsJsonAsync(new JsonObject
                {
                    ["id"] = id,
                    ["object"] = "chat.completion",
                    ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                    ["model"] = request.Model,
                    ["choices"] = new JsonArray(new JsonObject
                    {
                        ["index"] = 0,
                        ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = text.ToString() },
                        ["finish_reason"] = result.FinishReason,
                    }),
                    ["usage"] = Usage(result),
                }, http.RequestAborted).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client left; the worker skips or stops the job.
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The worker logged it; the client hears it in OpenAI's shape, as a response or as the stream's last event.
            if (!http.Response.HasStarted)
            {
                await ErrorAsync(http, 500, "InternalServerError", $"the generation failed: {e.Message}").ConfigureAwait(false);
            }
            else
            {
                await http.Response.WriteAsync($"data: {Error(500, "InternalServerError", $"the generation failed: {e.Message}").ToJsonString()}\n\ndata: [DONE]\n\n").ConfigureAwait(false);
            }
        }
    }

    private static async Task StreamAsync(HttpContext http, ChatRequest request, GenerationJob job, string id)
    {
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        JsonObject Chunk(JsonObject delta, string? finish) => new()
        {
            ["id"] = id,
            ["object"] = "chat.completion.chunk",
            ["created"] = created,
            ["model"] = request.Model,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish }),
        };

        await SendAsync(http, Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "" }, null)).ConfigureAwait(false);
        await foreach (var piece in job.Pieces.Reader.ReadAllAsync(http.RequestAborted).ConfigureAwait(false))
        {
            await SendAsync(http, Chunk(new JsonObject { ["content"] = piece }, null)).ConfigureAwait(false);
        }

        var result = await job.Result.Task.ConfigureAwait(false);
        await SendAsync(http, Chunk([], result.FinishReason)).ConfigureAwait(false);
        if (request.IncludeUsage)
        {
            var usage = Chunk([], null);
            usage["choices"] = new JsonArray();
            usage["usage"] = Usage(result);
            await SendAsync(http, usage).ConfigureAwait(false);
        }

        await http.Response.WriteAsync("data: [DONE]\n\n", http.RequestAborted).ConfigureAwait(false);
    }

    private static async Task SendAsync(HttpContext http, JsonObject chunk)
    {
        await http.Response.WriteAsync($"data: {chunk.ToJsonString()}\n\n", http.RequestAborted).ConfigureAwait(false);
        await http.Response.Body.FlushAsync(http.RequestAborted).ConfigureAwait(false);
    }

    private static JsonObject Usage(GenerationResult result) => new()
    {
        ["prompt_tokens"] = result.PromptTokens,
        ["completion_tokens"] = result.CompletionTokens,
        ["total_tokens"] = result.PromptTokens + result.CompletionTokens,
    };

    private static async Task ErrorAsync(HttpContext http, int status, string type, string message)
    {
        http.Response.StatusCode = status;
        await http.Response.WriteAsJsonAsync(Error(status, type, message)).ConfigureAwait(false);
    }

    private static JsonObject Error(int status, string type, string message) => new()
    {
        ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["param"] = null, ["code"] = status },
    };
}
