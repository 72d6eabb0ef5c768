using System.Text.Json.Serialization;

namespace Nimmerverse.Supervisor.Configuration;

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(NimmerverseOptions))]
internal sealed partial class OptionsJsonContext : JsonSerializerContext;
