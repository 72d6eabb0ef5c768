using System.Text.Json.Serialization;

namespace Nimmerverse.Actors.Cells;

/// <summary>Source-generated JSON for the content cells and nerves put into their waves: every primitive a value may hold must be listed.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(Dictionary<string, object?>))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class CellJsonContext : JsonSerializerContext;
