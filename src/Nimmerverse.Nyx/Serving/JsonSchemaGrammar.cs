using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Nimmerverse.Nyx.Serving;

/// <summary>
/// A GBNF grammar (llama.cpp's grammar language) that admits exactly the JSON documents a JSON
/// Schema describes, within a subset: <c>type</c> object (every property, in order), array (<c>items</c>,
/// <c>minItems</c>, <c>maxItems</c>), string, number, integer, boolean, null, a list of types; <c>enum</c>
/// and <c>const</c> of scalars; <c>minimum</c> and <c>maximum</c> where they can be held exactly: a
/// number from 0 to 1 (a probability, at most 4 decimals) and an integer range of at most 1001 values.
/// An object without properties is any object, bounded as <see cref="AnyObject"/>. Strings are bounded (<see cref="MaxStringLength"/> characters, or the
/// schema's <c>maxLength</c>) so that a small model cannot talk past <c>max_tokens</c> inside one. Anything
/// else (<c>$ref</c>, <c>oneOf</c>, <c>pattern</c>...) is refused with a sentence naming it: the output
/// must never be looser than the schema.
/// </summary>
public static class JsonSchemaGrammar
{
    public const int MaxStringLength = 64;

    private const int MaxDepth = 16;

    private static readonly string[] Unsupported = ["$ref", "oneOf", "anyOf", "allOf", "not", "pattern", "patternProperties", "if", "format", "minLength", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "uniqueItems", "dependentRequired", "prefixItems"];

    /// <summary>The grammar for <paramref name="schema"/>, or the sentence that says what it cannot express.</summary>
    public static (string? Gbnf, string? Problem) From(JsonNode? schema)
    {
        var rules = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            var root = Rule(schema, "root", rules, 0);
            var freeObjects = rules.Remove(FreeObjectsUsed);
            var text = new StringBuilder();
            text.Append("root ::= ").Append(root).Append('\n');
            foreach (var (name, body) in rules)
            {
                text.Append(name).Append(" ::= ").Append(body).Append('\n');
            }

            text.Append(Primitives);
            if (freeObjects)
            {
                text.Append(FreeMembers);
            }

            return (text.ToString(), null);
        }
        catch (NotSupportedException e)
        {
            return (null, e.Message);
        }
    }

    /// <summary>
    /// A JSON object (<c>response_format: {"type": "json_object"}</c>), bounded so that any answer fits
    /// 480 tokens however the model chooses: at most 4 members, each a scalar or a flat array of at
    /// most 4 scalars, strings of at most 16 characters (about 360 characters in all).
    /// </summary>
    public static string AnyObject => "root ::= \"{\" ws ( member ( ws \",\" ws member ){0,3} )? ws \"}\"\n" + Primitives + """
        member ::= short ws ":" ws value
        value ::= scalar | "[" ws ( scalar ( ws "," ws scalar ){0,3} )? ws "]"
        scalar ::= short | integer | boolean | null
        short ::= "\"" char{0,16} "\""

        """;

    /// <summary>The members of an object without properties: as <see cref="AnyObject"/>'s.</summary>
    private const string FreeObject = "\"{\" ws ( free-member ( ws \",\" ws free-member ){0,3} )? ws \"}\"";

    private const string FreeMembers = """
        free-member ::= free-short ws ":" ws free-value
        free-value ::= free-scalar | "[" ws ( free-scalar ( ws "," ws free-scalar ){0,3} )? ws "]"
        free-scalar ::= free-short | integer | boolean | null
        free-short ::= "\"" char{0,16} "\""

        """;

    /// <summary>Not a rule: noted among the rules when an object without properties needs <see cref="FreeMembers"/>.</summary>
    private const string FreeObjectsUsed = " free objects";

    private const string Probability = "( \"0\" ( \".\" [0-9]{1,4} )? | \"1\" ( \".\" \"0\"{1,4} )? )";

    /// <summary>A number or integer, held to <c>minimum</c> and <c>maximum</c> where that can be done exactly.</summary>
    private static string Bounded(JsonObject node, string path, bool integer)
    {
        var (minimum, maximum) = (node["minimum"], node["maximum"]);
        if (minimum is null && maximum is null)
        {
            return integer ? "integer" : "number";
        }

        if (minimum?.GetValueKind() != JsonValueKind.Number || maximum?.GetValueKind() != JsonValueKind.Number)
        {
            throw new NotSupportedException($"{path}: 'minimum' and 'maximum' are supported together only");
        }

        var (low, high) = (minimum.GetValue<double>(), maximum.GetValue<double>());
        if (!integer && low == 0 && high == 1)
        {
            return Probability;
        }

        if (integer && low == Math.Floor(low) && high == Math.Floor(high) && high >= low && high - low <= 1000)
        {
            return "( " + string.Join(" | ", Enumerable.Range((int)low, (int)(high - low) + 1).Select(v => $"\"{v.ToString(CultureInfo.InvariantCulture)}\"")) + " )";
        }

        throw new NotSupportedException($"{path}: 'minimum' {low} and 'maximum' {high} cannot be held exactly (a number from 0 to 1, or an integer range of at most 1001 values)");
    }

    private const string Primitives = """
        ws ::= [ \t\n]{0,2}
        string ::= "\"" char{0,64} "\""
        char ::= [^"\\\x7F\x00-\x1F] | "\\" ["\\/bfnrt]
        number ::= integer ( "." [0-9]{1,8} )? ( [eE] [-+]? [0-9]{1,3} )?
        integer ::= "-"? ( "0" | [1-9] [0-9]{0,15} )
        boolean ::= "true" | "false"
        null ::= "null"

        """;

    private static string Rule(JsonNode? schema, string path, Dictionary<string, string> rules, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new NotSupportedException($"the schema nests deeper than {MaxDepth} levels");
        }

        if (schema is JsonValue boolean && boolean.GetValueKind() == JsonValueKind.True)
        {
            throw new NotSupportedException($"{path}: 'true' (anything) is not a structure this server can hold a model to");
        }

        if (schema is not JsonObject node)
        {
            throw new NotSupportedException($"{path}: a schema is an object");
        }

        if (node.Select(p => p.Key).FirstOrDefault(Unsupported.Contains) is { } keyword)
        {
            throw new NotSupportedException($"{path}: '{keyword}' is not supported by this server's structured output");
        }

        if (node["const"] is { } constant)
        {
            return Literal(constant, path);
        }

        if (node["enum"] is JsonArray choices)
        {
            return choices.Count == 0
                ? throw new NotSupportedException($"{path}: an empty enum admits nothing")
                : "( " + string.Join(" | ", choices.Select(choice => Literal(choice, path))) + " )";
        }

        var types = node["type"] switch
        {
            JsonValue one when one.GetValueKind() == JsonValueKind.String => [one.GetValue<string>()],
            JsonArray many => many.Select(t => t?.GetValue<string>() ?? "").ToArray(),
            null => throw new NotSupportedException($"{path}: no 'type' (or enum, const)"),
            _ => throw new NotSupportedException($"{path}: 'type' is neither a name nor a list of names"),
        };
        var alternatives = types.Select(type => type switch
        {
            "object" => Object(node, path, rules, depth),
            "array" => Array(node, path, rules, depth),
            "string" => node["maxLength"] is JsonValue max && max.TryGetValue<int>(out var length) && length >= 0
                ? $"\"\\\"\" char{{0,{Math.Min(length, 4096)}}} \"\\\"\""
                : "string",
            "number" => Bounded(node, path, integer: false),
            "integer" => Bounded(node, path, integer: true),
            "boolean" => "boolean",
            "null" => "null",
            _ => throw new NotSupportedException($"{path}: type '{type}' is not a JSON type"),
        }).ToArray();
        return alternatives.Length == 1 ? alternatives[0] : "( " + string.Join(" | ", alternatives) + " )";
    }

    private static string Object(JsonObject node, string path, Dictionary<string, string> rules, int depth)
    {
        var properties = node["properties"] as JsonObject ?? [];
        if (properties.Count == 0)
        {
            // No properties and none allowed: only {}; otherwise any object, bounded.
            if (node["additionalProperties"] is JsonValue closed && closed.GetValueKind() == JsonValueKind.False)
            {
                return "\"{\" ws \"}\"";
            }

            rules.TryAdd(FreeObjectsUsed, "");
            return FreeObject;
        }

        var parts = new List<string>();
        foreach (var (name, property) in properties)
        {
            var rule = Name(path, name, rules);
            rules[rule] = Rule(property, $"{path}.{name}", rules, depth + 1);
            parts.Add($"{Quote(JsonSerializer.Serialize(name))} ws \":\" ws {rule}");
        }

        return "\"{\" ws " + string.Join(" ws \",\" ws ", parts) + " ws \"}\"";
    }

    private static string Array(JsonObject node, string path, Dictionary<string, string> rules, int depth)
    {
        var item = Name(path, "item", rules);
        rules[item] = node["items"] is { } items ? Rule(items, $"{path}[]", rules, depth + 1) : throw new NotSupportedException($"{path}: an array needs 'items'");
        var min = node["minItems"] is JsonValue a && a.TryGetValue<int>(out var lower) ? Math.Max(lower, 0) : 0;
        var max = node["maxItems"] is JsonValue b && b.TryGetValue<int>(out var upper) ? upper : 16;
        if (max < min || max > 1024)
        {
            throw new NotSupportedException($"{path}: minItems {min} and maxItems {max} admit no array this server can hold a model to (at most 1024 items)");
        }

        if (max == 0)
        {
            return "\"[\" ws \"]\"";
        }

        var rest = $"( ws \",\" ws {item} ){{{Math.Max(min - 1, 0)},{max - 1}}}";
        var some = $"{item} {rest}";
        return min == 0 ? $"\"[\" ws ( {some} )? ws \"]\"" : $"\"[\" ws {some} ws \"]\"";
    }

    private static string Literal(JsonNode? value, string path) => value switch
    {
        null => "\"null\"",
        JsonValue scalar when scalar.GetValueKind() is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => Quote(scalar.ToJsonString()),
        _ => throw new NotSupportedException($"{path}: enum and const of objects or arrays are not supported"),
    };

    /// <summary>A GBNF literal of <paramref name="text"/>.</summary>
    private static string Quote(string text)
    {
        var quoted = new StringBuilder("\"");
        foreach (var c in text)
        {
            quoted.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when c < 0x20 => string.Create(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}"),
                _ => c.ToString(),
            });
        }

        return quoted.Append('"').ToString();
    }

    /// <summary>A new rule name from a path: letters, digits and dashes only, as GBNF wants them, numbered where two paths would meet.</summary>
    private static string Name(string path, string part, Dictionary<string, string> rules)
    {
        var name = new string($"{path}-{part}".Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-').ToArray());
        var unique = name;
        for (var n = 2; rules.ContainsKey(unique); n++)
        {
            unique = $"{name}-{n}";
        }

        rules[unique] = ""; // reserved; the caller fills it in
        return unique;
    }
}
