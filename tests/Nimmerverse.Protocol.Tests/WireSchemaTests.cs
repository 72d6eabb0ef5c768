using System.Text.Json;
using Json.Schema;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;

namespace Nimmerverse.Protocol.Tests;

/// <summary>The JSON Schema files in docs/protocol are what other languages build against; what we send must conform.</summary>
[Category(TestTier.Unit)]
public sealed class WireSchemaTests
{
    private static readonly string ProtocolDirectory = Path.Combine(RepositoryPaths.Root, "docs", "protocol");

    private static Dictionary<string, JsonSchema> _schemas = null!;

    [OneTimeSetUp]
    public static void LoadSchemas()
    {
        _schemas = [];
        foreach (var file in Directory.GetFiles(ProtocolDirectory, "*.schema.json"))
        {
            var schema = JsonSchema.FromText(File.ReadAllText(file));
            SchemaRegistry.Global.Register(schema);
            _schemas[Path.GetFileName(file).Replace(".schema.json", "", StringComparison.Ordinal)] = schema;
        }
    }

    [Test]
    public void There_is_a_schema_for_every_message_type()
    {
        Assert.That(_schemas.Keys, Is.SupersetOf(MessageTypes.All));
    }

    [TestCaseSource(typeof(WireSamples), nameof(WireSamples.Encoded))]
    public void What_we_encode_conforms_to_its_schema(string messageType, byte[] payload)
    {
        var result = _schemas[messageType].Evaluate(JsonDocument.Parse(payload).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });

        Assert.That(result.IsValid, Is.True, () => string.Join("; ", (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
    }

    [Test]
    public void The_schema_refuses_what_the_codec_refuses()
    {
        var wave = JsonSerializer.SerializeToNode(JsonDocument.Parse(WireCodec.Default.Encode(WireSamples.Envelope(WireSamples.Wave))).RootElement)!;
        wave["body"]!["confidence"] = 1.5;
        wave["header"]!["version"] = 2;

        var result = _schemas["wave"].Evaluate(JsonDocument.Parse(wave.ToJsonString()).RootElement);

        Assert.That(result.IsValid, Is.False);
    }
}
