using System.Text.Json.Serialization;

namespace Nimmerverse.Actors.Cells;

/// <summary>Source-generated JSON for the domain-specific content cells put into their waves.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(Dictionary<string, object?>))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(string))]
internal sealed partial class CellJsonContext : JsonSerializerContext;
