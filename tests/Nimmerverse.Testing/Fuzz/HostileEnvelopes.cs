using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Nimmerverse.Testing.Fuzz;

/// <summary>A subject the supervisor listens on (wildcards and all) and the message type it expects there.</summary>
public sealed record FuzzTarget(string SubjectPattern, string MessageType);

/// <summary>One hostile message: where it goes, its bytes, and which mutation made it.</summary>
public sealed record HostileMessage(string Subject, byte[] Payload, string Mutation);

/// <summary>
/// Schema-shaped envelopes with hostile bodies: a valid envelope of the subject's own type
/// (<see cref="ValidEnvelopes"/>), then one mutation: a wrong type deep inside, control characters
/// and lone surrogates, extreme numbers, oversized arrays and strings, deep nesting, a body about
/// another NPC than its subject, a missing or unknown field, a broken header, or a valid message
/// about an NPC that does not exist. Seeded, so a failing run can be replayed.
/// </summary>
public sealed class HostileEnvelopes(int seed, int population)
{
    /// <summary>Placeholders for what a JSON writer will not write (a lone surrogate, a number past double's range): swapped in as raw text.</summary>
    private const string LoneSurrogate = "__lone_surrogate__";
    private const string Overflow = "\"__overflow__\"";

    public static readonly IReadOnlyList<string> Mutations =
    [
        "wrong_type", "control_characters", "lone_surrogate", "extreme_number", "overflowing_number", "huge_array", "huge_string",
        "deep_nesting", "mismatched_npc", "missing_field", "unknown_field", "broken_header", "unknown_npc",
    ];

    private readonly Random _random = new(seed);

    public HostileMessage Next(FuzzTarget target)
    {
        var mutation = Mutations[_random.Next(Mutations.Count)];
        var npc = _random.Next(Math.Max(population, 1));
        var subject = SubjectFor(target.SubjectPattern, mutation == "unknown_npc" ? int.MaxValue : npc);
        var envelope = JsonNode.Parse(ValidEnvelopes.For(target.MessageType, mutation == "unknown_npc" ? int.MaxValue : npc))!.AsObject();
        var body = envelope["body"]!.AsObject();
        Mutate(mutation, envelope, body, npc);
        var text = envelope.ToJsonString()
            .Replace(LoneSurrogate, "\\ud800", StringComparison.Ordinal)
            .Replace(Overflow, "1e400", StringComparison.Ordinal);
        return new HostileMessage(subject, Encoding.UTF8.GetBytes(text), mutation);
    }

    private string SubjectFor(string pattern, int npc) =>
        string.Join('.', pattern.Split('.').Select(token => token switch
        {
            "*" => npc.ToString(CultureInfo.InvariantCulture),
            ">" => "fuzz",
            _ => token,
        }));

    private void Mutate(string mutation, JsonObject envelope, JsonObject body, int npc)
    {
        switch (mutation)
        {
            case "wrong_type":
                Replace(body, _random.Next(6) switch
                {
                    0 => JsonValue.Create("x"),
                    1 => JsonValue.Create(12345),
                    2 => JsonValue.Create(true),
                    3 => null,
                    4 => new JsonObject { ["nested"] = "object" },
                    _ => new JsonArray(1, "two", null),
                });
                break;
            case "control_characters":
                Replace(body, JsonValue.Create(_random.Next(4) switch
                {
                    0 => "nul\0inside",
                    1 => "line\nINF forged log line",
                    2 => "\u001b[31mred",
                    _ => "bell\u0007",
                }));
                break;
            case "lone_surrogate":
                Replace(body, JsonValue.Create(LoneSurrogate));
                break;
            case "extreme_number":
                Replace(body, _random.Next(6) switch
                {
                    0 => JsonValue.Create(1e308),
                    1 => JsonValue.Create(-1e308),
                    2 => JsonValue.Create(-1),
                    3 => JsonValue.Create(long.MaxValue),
                    4 => JsonValue.Create(ulong.MaxValue),
                    _ => JsonValue.Create(4294967296L),
                });
                break;
            case "overflowing_number":
                Replace(body, JsonValue.Create(Overflow.Trim('"')));
                break;
            case "huge_array":
                Replace(body, new JsonArray([.. Enumerable.Range(0, 1000 + _random.Next(5000)).Select(i => (JsonNode?)JsonValue.Create(i))]));
                break;
            case "huge_string":
                Replace(body, JsonValue.Create(new string('x', 4000 + _random.Next(100_000))));
                break;
            case "deep_nesting":
                JsonNode nested = JsonValue.Create(1);
                for (var i = 0; i < 20 + _random.Next(60); i++)
                {
                    nested = new JsonArray(nested);
                }

                Replace(body, nested);
                break;
            case "mismatched_npc":
                if (body.ContainsKey("npc_id"))
                {
                    body["npc_id"] = npc + 1 + _random.Next(1000);
                }
                else
                {
                    Replace(body, JsonValue.Create(-1));
                }

                break;
            case "missing_field":
                if (body.Count > 0)
                {
                    body.Remove(body.ElementAt(_random.Next(body.Count)).Key);
                }

                break;
            case "unknown_field":
                body[_random.Next(2) == 0 ? "surprise" : "\u0000key"] = new JsonObject { ["deep"] = new JsonArray("\u0000") };
                break;
            case "broken_header":
                var header = envelope["header"]!.AsObject();
                switch (_random.Next(5))
                {
                    case 0: header["version"] = 2; break;
                    case 1: header["message_type"] = "telepathy"; break;
                    case 2: header["message_id"] = ""; break;
                    case 3: header["source"]!.AsObject()["tier"] = 99; break;
                    default: header["timestamp"] = "yesterday"; break;
                }

                break;
            case "unknown_npc":
                break; // a valid message, about an NPC nobody runs
        }
    }

    /// <summary>Replaces one leaf of <paramref name="node"/>, chosen at random at any depth, or adds a field if it has none.</summary>
    private void Replace(JsonNode node, JsonNode? value)
    {
        var leaves = new List<(JsonNode Parent, object Key)>();
        Collect(node, leaves);
        if (leaves.Count == 0)
        {
            node.AsObject()["fuzz"] = value;
            return;
        }

        var (parent, key) = leaves[_random.Next(leaves.Count)];
        if (parent is JsonObject obj)
        {
            obj[(string)key] = value;
        }
        else
        {
            parent.AsArray()[(int)key] = value;
        }
    }

    private static void Collect(JsonNode node, List<(JsonNode, object)> leaves)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj.ToList())
                {
                    leaves.Add((obj, key));
                    if (child is JsonObject or JsonArray)
                    {
                        Collect(child, leaves);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    leaves.Add((array, i));
                    if (array[i] is JsonObject or JsonArray)
                    {
                        Collect(array[i]!, leaves);
                    }
                }

                break;
        }
    }
}
