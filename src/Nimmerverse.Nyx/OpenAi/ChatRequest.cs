using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Nimmerverse.Nyx.OpenAi;

/// <summary>
/// The fields of an OpenAI <c>/v1/chat/completions</c> request this server acts on, read from the
/// body with a sentence for whatever is wrong (answered 400 in OpenAI's error shape).
/// </summary>
public sealed record ChatRequest(
    string Model,
    string Prompt,
    int? MaxTokens,
    float Temperature,
    uint? Seed,
    bool Stream,
    bool IncludeUsage,
    int Priority,
    bool IgnoreEos = false,
    string? Grammar = null)
{
    /// <summary>OpenAI's default temperature.</summary>
    public const float DefaultTemperature = 1f;

    private static readonly HashSet<string> Roles = ["system", "developer", "user", "assistant", "tool"];

    public static (ChatRequest? Request, string? Problem) Parse(ReadOnlySpan<byte> body)
    {
        JsonObject? root;
        try
        {
            root = JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException e)
        {
            return (null, $"the body is not JSON: {e.Message}");
        }

        if (root is null)
        {
            return (null, "the body is not a JSON object");
        }

        if (root["model"] is not JsonValue modelValue || !modelValue.TryGetValue<string>(out var model) || model.Length == 0)
        {
            return (null, "'model' is required (a string)");
        }

        if (root["messages"] is not JsonArray { Count: > 0 } messages)
        {
            return (null, "'messages' is required (a non-empty array)");
        }

        var prompt = new StringBuilder();
        for (var i = 0; i < messages.Count; i++)
        {
            if (messages[i] is not JsonObject message || message["role"]?.GetValueKind() != JsonValueKind.String || !Roles.Contains(message["role"]!.GetValue<string>()))
            {
                return (null, $"messages[{i}] has no role of {string.Join(", ", Roles)}");
            }

            if (Content(message["content"]) is not { } content)
            {
                return (null, $"messages[{i}].content is neither a string nor a list of text parts");
            }

            prompt.Append(content).Append('\n');
        }

        var (grammar, formatProblem) = GrammarOf(root["response_format"]);
        if (formatProblem is not null)
        {
            return (null, formatProblem);
        }

        var (maxTokens, maxProblem) = Integer(root, "max_completion_tokens");
        if (maxTokens is null && maxProblem is null)
        {
            (maxTokens, maxProblem) = Integer(root, "max_tokens");
        }

        if (maxProblem is not null || maxTokens is < 1)
        {
            return (null, maxProblem ?? $"max_tokens {maxTokens} is not positive");
        }

        var (priority, priorityProblem) = Integer(root, "priority");
        var (seed, seedProblem) = Integer(root, "seed");
        if ((priorityProblem ?? seedProblem) is { } integerProblem)
        {
            return (null, integerProblem);
        }

        var temperature = DefaultTemperature;
        if (root["temperature"] is JsonValue t)
        {
            if (!t.TryGetValue<double>(out var value) || value is < 0 or > 2)
            {
                return (null, "temperature is not a number from 0 to 2");
            }

            temperature = (float)value;
        }

        var stream = root["stream"] is JsonValue s && s.GetValueKind() == JsonValueKind.True;
        var includeUsage = root["stream_options"] is JsonObject options && options["include_usage"] is JsonValue u && u.GetValueKind() == JsonValueKind.True;
        // vLLM's extension: generate max_tokens whatever the model would end with.
        var ignoreEos = root["ignore_eos"] is JsonValue ignore && ignore.GetValueKind() == JsonValueKind.True;
        return (new ChatRequest(model, prompt.ToString(), maxTokens, temperature, seed is { } sd ? unchecked((uint)sd) : null, stream, includeUsage, priority ?? 0, ignoreEos, grammar), null);
    }

    /// <summary>
    /// The grammar the answer is generated under: none for <c>text</c>, any JSON object for
    /// <c>json_object</c>, exactly the schema's documents for <c>json_schema</c> (OpenAI's
    /// <c>{"type": "json_schema", "json_schema": {"name", "schema"}}</c>).
    /// </summary>
    private static (string? Grammar, string? Problem) GrammarOf(JsonNode? format)
    {
        if (format is null)
        {
            return (null, null);
        }

        var kind = format is JsonObject o && o["type"] is JsonValue t && t.GetValueKind() == JsonValueKind.String ? t.GetValue<string>() : null;
        return kind switch
        {
            "text" => (null, null),
            "json_object" => (Serving.JsonSchemaGrammar.AnyObject, null),
            "json_schema" when format["json_schema"]?["schema"] is { } schema => Serving.JsonSchemaGrammar.From(schema) is var (gbnf, problem) && problem is null
                ? (gbnf, null)
                : (null, $"response_format.json_schema.schema: {problem}"),
            "json_schema" => (null, "response_format json_schema needs json_schema.schema"),
            _ => (null, "response_format.type is not one of text, json_object, json_schema"),
        };
    }

    /// <summary>A message's text: a string, or the text parts of a list (<c>[{"type": "text", "text": "..."}]</c>).</summary>
    private static string? Content(JsonNode? content) => content switch
    {
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        JsonArray parts when parts.All(part => part is JsonObject o && o["type"]?.GetValue<string>() == "text" && o["text"]?.GetValueKind() == JsonValueKind.String) =>
            string.Concat(parts.Select(part => part!["text"]!.GetValue<string>())),
        _ => null,
    };

    private static (int? Value, string? Problem) Integer(JsonObject root, string name) => root[name] switch
    {
        null => (null, null),
        JsonValue value when value.GetValueKind() == JsonValueKind.Null => (null, null),
        JsonValue value when value.TryGetValue<int>(out var number) => (number, null),
        JsonValue value when value.TryGetValue<double>(out var real) && real == Math.Floor(real) && real is >= int.MinValue and <= int.MaxValue => ((int)real, null),
        _ => (null, $"'{name}' is not a whole number"),
    };
}
