using System.Collections;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Nimmerverse.Protocol;

/// <summary>A compass direction, as an NPC moves.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Compass>))]
public enum Compass
{
    N,
    S,
    E,
    W,
}

/// <summary>The cortex's advice to a stuck NPC (response schema <c>direction</c>).</summary>
public sealed record DirectionAdvice(Compass Direction, [property: Range(0.0, 1.0)] double Confidence);

/// <summary>One command the cortex sends down: to an NPC (<c>npc-{id}</c>) or a nerve (<c>nerve-{name}</c>).</summary>
public sealed record DownstreamCommand([property: MaxLength(32)] string Target, [property: MaxLength(32)] string Command, JsonElement Payload);

/// <summary>The cortex's answer to a cognitive request (response schema <c>downstream_commands</c>).</summary>
public sealed record CortexCommands([property: MaxLength(4)] IReadOnlyList<DownstreamCommand> DownstreamCommands);

/// <summary>The sensory events the boundary may name: a closed list, never free text.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SensoryEvent>))]
public enum SensoryEvent
{
    [JsonStringEnumMemberName("environmental_change")]
    EnvironmentalChange,

    [JsonStringEnumMemberName("collision_detected")]
    CollisionDetected,

    [JsonStringEnumMemberName("battery_critical")]
    BatteryCritical,

    [JsonStringEnumMemberName("object_discovered")]
    ObjectDiscovered,

    [JsonStringEnumMemberName("position_update")]
    PositionUpdate,

    [JsonStringEnumMemberName("anomaly_detected")]
    AnomalyDetected,

    [JsonStringEnumMemberName("goal_reached")]
    GoalReached,

    [JsonStringEnumMemberName("stuck_detected")]
    StuckDetected,

    [JsonStringEnumMemberName("light_lost")]
    LightLost,

    [JsonStringEnumMemberName("light_found")]
    LightFound,
}

/// <summary>An action the boundary suggests to the cortex, with its confidence.</summary>
public sealed record SuggestedAction([property: MaxLength(32)] string Action, [property: Range(0.0, 1.0)] double Confidence);

/// <summary>
/// What Function Gemma makes of a gate transition and its waves (response schema
/// <c>cognitive_assessment</c>): the event, how sure it is, the facts in structured form, what it
/// would suggest. The boundary adds what it knows itself to make a <see cref="CognitiveRequest"/>.
/// </summary>
public sealed record CognitiveAssessment(
    SensoryEvent EventType,
    [property: Range(0.0, 1.0)] double Confidence,
    JsonElement StructuredInput,
    [property: MaxLength(3)] IReadOnlyList<SuggestedAction> SuggestedActions);

/// <summary>
/// The boundary's question to the cortex: the assessment, the gate's domain, the lifeforce the
/// answer may cost and how long it may take. Sent as the user message of a <c>cortex_request</c>.
/// </summary>
public sealed record CognitiveRequest(
    SensoryEvent EventType,
    string Domain,
    double Confidence,
    JsonElement StructuredInput,
    IReadOnlyList<SuggestedAction> SuggestedActions,
    double ProcessingBudgetLf,
    int ResponseTimeoutMs);

/// <summary>
/// The response schemas a cortex request may name. Each is made from its C# record, so the record
/// is the one source of the JSON Schema the model server decodes under and of the check the
/// answer passes afterwards: it must read back as the record (every field present, nothing
/// else), and its values must keep the record's bounds (<see cref="RangeAttribute"/> on numbers,
/// <see cref="MaxLengthAttribute"/> on text and lists), which the schema carries as <c>minimum</c>,
/// <c>maximum</c>, <c>maxLength</c> and <c>maxItems</c>.
/// </summary>
public static class CortexSchemas
{
    public const string Direction = "direction";
    public const string DownstreamCommands = "downstream_commands";
    public const string CognitiveAssessment = "cognitive_assessment";

    private static readonly Dictionary<string, JsonTypeInfo> Known = new(StringComparer.Ordinal)
    {
        [Direction] = CortexSchemaJsonContext.Default.DirectionAdvice,
        [DownstreamCommands] = CortexSchemaJsonContext.Default.CortexCommands,
        [CognitiveAssessment] = CortexSchemaJsonContext.Default.CognitiveAssessment,
    };

    public static IReadOnlyCollection<string> Names => Known.Keys;

    public static bool IsKnown(string name) => Known.ContainsKey(name);

    /// <summary>The JSON Schema of <paramref name="name"/>, as sent in <c>response_format</c>.</summary>
    public static JsonNode SchemaOf(string name) => SchemaOf(Known[name]);

    /// <summary>The JSON Schema of a record: its properties in snake_case, all required, no others, with its bounds; free JSON is any object.</summary>
    public static JsonNode SchemaOf(JsonTypeInfo type) => type.Options.GetJsonSchemaAsNode(type.Type, new JsonSchemaExporterOptions
    {
        TreatNullObliviousAsNonNullable = true,
        TransformSchemaNode = (context, node) =>
        {
            if (context.TypeInfo.Type == typeof(JsonElement))
            {
                return new JsonObject { ["type"] = "object" };
            }

            if (node is JsonObject schema && context.PropertyInfo?.AttributeProvider is { } attributes)
            {
                foreach (var range in attributes.GetCustomAttributes(typeof(RangeAttribute), inherit: true).Cast<RangeAttribute>())
                {
                    schema["minimum"] = Convert.ToDouble(range.Minimum, System.Globalization.CultureInfo.InvariantCulture);
                    schema["maximum"] = Convert.ToDouble(range.Maximum, System.Globalization.CultureInfo.InvariantCulture);
                }

                foreach (var length in attributes.GetCustomAttributes(typeof(MaxLengthAttribute), inherit: true).Cast<MaxLengthAttribute>())
                {
                    schema[context.TypeInfo.Type == typeof(string) ? "maxLength" : "maxItems"] = length.Length;
                }
            }

            return node;
        },
    });

    /// <summary>What is wrong with <paramref name="json"/> as an answer of schema <paramref name="name"/>, or null when it is one.</summary>
    public static string? Problem(string name, string json) => ProblemOf(json, Known[name], out _);

    /// <summary>Reads <paramref name="json"/> as <paramref name="type"/>'s record, strictly, and checks its bounds; the reason when it is not one.</summary>
    public static string? ProblemOf(string json, JsonTypeInfo type, out object? value)
    {
        value = null;
        try
        {
            value = JsonSerializer.Deserialize(json, type);
        }
        catch (JsonException e)
        {
            return $"the answer is not a {type.Type.Name}: {e.Message}";
        }

        return value is null ? "the answer is null" : BoundsProblem(value, "$");
    }

    /// <summary>The record's bounds, all the way down: ranges, lengths, free JSON that is an object of printable text.</summary>
    private static string? BoundsProblem(object value, string path)
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(value, new ValidationContext(value), results, validateAllProperties: true))
        {
            return $"{path}: {results[0].ErrorMessage}";
        }

        foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var item = property.GetValue(value);
            var at = $"{path}.{JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name)}";
            var problem = item switch
            {
                JsonElement { ValueKind: not JsonValueKind.Object } json => $"{at} is {json.ValueKind.ToString().ToLowerInvariant()}, not an object",
                JsonElement json => Checks.Json(at, json),
                double number => Checks.Finite(at, number),
                string text => Checks.Printable(at, text),
                IEnumerable list and not string => list.Cast<object>().Select((element, i) => element is null ? $"{at}[{i}] is null" : element.GetType().IsPrimitive ? null : BoundsProblem(element, $"{at}[{i}]")).FirstOrDefault(p => p is not null),
                _ => null,
            };
            if (problem is not null)
            {
                return problem;
            }
        }

        return null;
    }
}

/// <summary>The response schemas' records, read strictly: every field required and non-null, nothing unknown.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    RespectRequiredConstructorParameters = true,
    RespectNullableAnnotations = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    MaxDepth = WireCodec.MaxDepth)]
[JsonSerializable(typeof(DirectionAdvice))]
[JsonSerializable(typeof(CortexCommands))]
[JsonSerializable(typeof(CognitiveAssessment))]
[JsonSerializable(typeof(CognitiveRequest))]
public sealed partial class CortexSchemaJsonContext : JsonSerializerContext;
