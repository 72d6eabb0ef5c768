using System.Text;
using System.Text.Json;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;

namespace Nimmerverse.Protocol.Tests;

[Category(TestTier.Unit)]
public sealed class WireCodecTests
{
    private static readonly WireCodec Codec = WireCodec.Default;

    [Test]
    public void Every_body_type_survives_a_round_trip()
    {
        var wave = WireSamples.Envelope(WireSamples.Wave);
        var decodedWave = Codec.Decode<WaveBody>(Codec.Encode(wave));
        Assert.That(decodedWave.Envelope!.Header, Is.EqualTo(wave.Header));
        Assert.That(decodedWave.Envelope.Body.Content.GetProperty("result").GetInt32(), Is.EqualTo(5));

        var gate = WireSamples.Envelope(WireSamples.GateTransition);
        Assert.That(Codec.Decode<GateTransitionBody>(Codec.Encode(gate)).Envelope!.Body.TriggerWaves, Is.EqualTo(gate.Body.TriggerWaves));
        var request = WireSamples.Envelope(WireSamples.CellRequest);
        Assert.That(Codec.Decode<CellRequestBody>(Codec.Encode(request)).Envelope!.Body.Operands, Is.EqualTo(request.Body.Operands));
        var response = WireSamples.Envelope(CellResponseBody.Failure("division by zero"), request.Header.MessageId);
        Assert.That(Codec.Decode<CellResponseBody>(Codec.Encode(response)).Envelope, Is.EqualTo(response));
        var state = WireSamples.Envelope(WireSamples.NpcState);
        Assert.That(Codec.Decode<NpcStateBody>(Codec.Encode(state)).Envelope, Is.EqualTo(state));
        var command = WireSamples.Envelope(new NpcCommandBody("set_tick_rate", 12));
        Assert.That(Codec.Decode<NpcCommandBody>(Codec.Encode(command)).Envelope, Is.EqualTo(command));
        var allocation = WireSamples.Envelope(WireSamples.Allocation);
        Assert.That(Codec.Decode<AllocationBody>(Codec.Encode(allocation)).Envelope!.Body.Npcs, Is.EqualTo(allocation.Body.Npcs));
    }

    /// <summary>Every valid sample passes every check of its type: a check that is too strict breaks the organism (a bound on moves once refused every observation with a blocked move).</summary>
    [TestCaseSource(typeof(WireSamples), nameof(WireSamples.Encoded))]
    public void Every_valid_sample_is_accepted(string messageType, byte[] payload) =>
        Assert.That(RejectionOf(messageType, payload), Is.Null);

    private static Rejection? RejectionOf(string messageType, byte[] payload) => messageType switch
    {
        "wave" => Codec.Decode<WaveBody>(payload).Rejection,
        "gate_transition" => Codec.Decode<GateTransitionBody>(payload).Rejection,
        "cell_request" => Codec.Decode<CellRequestBody>(payload).Rejection,
        "cell_response" => Codec.Decode<CellResponseBody>(payload).Rejection,
        "npc_state" => Codec.Decode<NpcStateBody>(payload).Rejection,
        "npc_command" => Codec.Decode<NpcCommandBody>(payload).Rejection,
        "allocation" => Codec.Decode<AllocationBody>(payload).Rejection,
        "world_step" => Codec.Decode<WorldStepBody>(payload).Rejection,
        "world_step_result" => Codec.Decode<WorldStepResultBody>(payload).Rejection,
        "quiz_query" => Codec.Decode<QuizQueryBody>(payload).Rejection,
        "quiz_report" => Codec.Decode<QuizReportBody>(payload).Rejection,
        "npc_checkpoint" => Codec.Decode<NpcCheckpointBody>(payload).Rejection,
        "checkpoint_saved" => Codec.Decode<CheckpointSavedBody>(payload).Rejection,
        "checkpoint_query" => Codec.Decode<CheckpointQueryBody>(payload).Rejection,
        "checkpoint_found" => Codec.Decode<CheckpointFoundBody>(payload).Rejection,
        "npc_lifecycle" => Codec.Decode<NpcLifecycleBody>(payload).Rejection,
        "rejected" => Codec.Decode<RejectedBody>(payload).Rejection,
        "cortex_request" => Codec.Decode<CortexRequestBody>(payload).Rejection,
        "cortex_response" => Codec.Decode<CortexResponseBody>(payload).Rejection,
        "cortex_trail" => Codec.Decode<CortexTrailBody>(payload).Rejection,
        "nerve_command" => Codec.Decode<NerveCommandBody>(payload).Rejection,
        "organ_request" => Codec.Decode<OrganRequestBody>(payload).Rejection,
        "organ_response" => Codec.Decode<OrganResponseBody>(payload).Rejection,
        "organ_trail" => Codec.Decode<OrganTrailBody>(payload).Rejection,
        "organ_state" => Codec.Decode<OrganStateBody>(payload).Rejection,
        _ => throw new ArgumentOutOfRangeException(nameof(messageType), messageType, "a message type without a decoder here"),
    };

    [Test]
    public void A_checkpoint_carries_its_success_window_and_refuses_one_larger_or_without_its_level()
    {
        var decoded = Codec.Decode<NpcCheckpointBody>(Codec.Encode(WireSamples.Envelope(WireSamples.Checkpoint))).Envelope!.Body;
        Assert.That((decoded.Level, decoded.RecentErrands, decoded.QuizPassed), Is.EqualTo(((int?)1, new[] { true, false, true }, (bool?)false)));

        string? ProblemOf(NpcCheckpointBody body) => Codec.Decode<NpcCheckpointBody>(Codec.Encode(WireSamples.Envelope(body))).Rejection?.Detail;
        Assert.That(ProblemOf(WireSamples.Checkpoint with { RecentErrands = new bool[NpcStateBody.SuccessWindow + 1] }), Does.Contain("recent_errands holds 51 outcomes"));
        Assert.That(ProblemOf(WireSamples.Checkpoint with { Level = null }), Does.Contain("without the level"));
        Assert.That(ProblemOf(WireSamples.Checkpoint with { Level = null, RecentErrands = null }), Does.Contain("quiz_passed without the level it was at"));
        Assert.That(ProblemOf(WireSamples.Checkpoint with { Level = -1 }), Does.Contain("level -1 is negative"));
        Assert.That(ProblemOf(WireSamples.Checkpoint with { Level = null, RecentErrands = null, QuizPassed = null }), Is.Null, "a checkpoint from before windows were kept");
    }

    [Test]
    public void The_wire_form_is_snake_case_with_a_utc_timestamp_and_no_null_fields()
    {
        var request = WireSamples.Envelope(WireSamples.CellRequest);
        var response = WireSamples.Envelope(CellResponseBody.Success(5.5), request.Header.MessageId);

        var json = JsonDocument.Parse(Codec.Encode(response)).RootElement;

        var header = json.GetProperty("header");
        Assert.That(header.GetProperty("message_id").GetString(), Is.EqualTo(response.Header.MessageId.ToString()));
        Assert.That(header.GetProperty("message_type").GetString(), Is.EqualTo("cell_response"));
        Assert.That(header.GetProperty("version").GetInt32(), Is.EqualTo(1));
        Assert.That(header.GetProperty("timestamp").GetString(), Does.Match(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$"));
        Assert.That(header.GetProperty("correlation_id").GetString(), Is.EqualTo(request.Header.MessageId.ToString()));
        Assert.That(header.GetProperty("source").GetProperty("entity_type").GetString(), Is.EqualTo("cell"));
        Assert.That(json.GetProperty("body").GetProperty("result").GetDouble(), Is.EqualTo(5.5));
        Assert.That(json.GetProperty("body").TryGetProperty("error", out _), Is.False);
        Assert.That(JsonDocument.Parse(Codec.Encode(request)).RootElement.GetProperty("header").TryGetProperty("correlation_id", out _), Is.False);
    }

    [Test]
    public void A_message_from_another_language_with_an_offset_timestamp_and_extra_fields_is_read()
    {
        const string python = """
            {"header": {"message_id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "message_type": "cell_request", "version": 1,
                        "timestamp": "2026-11-29T16:30:00+01:00", "source": {"entity_id": "py-cell", "entity_type": "cell", "tier": 1},
                        "trace": "ignored"},
             "body": {"operation": "mul", "operands": [6, 7]}}
            """;

        var decoded = Codec.Decode<CellRequestBody>(Encoding.UTF8.GetBytes(python));

        Assert.That(decoded.Rejection, Is.Null);
        Assert.That(decoded.Envelope!.Header.Timestamp, Is.EqualTo(new DateTimeOffset(2026, 11, 29, 15, 30, 0, TimeSpan.Zero)));
        Assert.That(decoded.Envelope.Body.Operands, Is.EqualTo(new[] { 6.0, 7.0 }));
    }

    private const string GoodHeader = """{"message_id": "3f2504e0-4f89-11d3-9a0c-0305e82c3301", "message_type": "wave", "version": 1, "timestamp": "2026-11-29T15:30:00Z", "source": {"entity_id": "c", "entity_type": "cell", "tier": 1}}""";

    private static string WaveWith(string body, string header = GoodHeader) => $$"""{"header": {{header}}, "body": {{body}}}""";

    private const string GoodBody = """{"domain": "math", "confidence": 0.5, "content": {}, "lifeforce_cost": 0.1}""";

    private static IEnumerable<TestCaseData> BadPayloads()
    {
        TestCaseData Case(string name, string payload, RejectionReason reason) => new TestCaseData(payload, reason).SetArgDisplayNames(name);

        yield return Case("not json", "hello", RejectionReason.MalformedJson);
        yield return Case("truncated", WaveWith(GoodBody)[..40], RejectionReason.MalformedJson);
        yield return Case("array", "[1,2,3]", RejectionReason.MalformedJson);
        yield return Case("no header", $$"""{"body": {{GoodBody}}}""", RejectionReason.MalformedJson);
        yield return Case("null body", WaveWith("null"), RejectionReason.MalformedJson);
        yield return Case("NaN literal", WaveWith(GoodBody.Replace("0.5", "NaN", StringComparison.Ordinal)), RejectionReason.MalformedJson);
        yield return Case("deep nesting", WaveWith(GoodBody.Replace("{}", new string('[', 100) + new string(']', 100), StringComparison.Ordinal)), RejectionReason.MalformedJson);
        yield return Case("unknown type", WaveWith(GoodBody, GoodHeader.Replace("\"wave\"", "\"telepathy\"", StringComparison.Ordinal)), RejectionReason.UnknownMessageType);
        yield return Case("wrong type", WaveWith(GoodBody, GoodHeader.Replace("\"wave\"", "\"npc_state\"", StringComparison.Ordinal)), RejectionReason.WrongMessageType);
        yield return Case("version 2", WaveWith(GoodBody, GoodHeader.Replace("\"version\": 1", "\"version\": 2", StringComparison.Ordinal)), RejectionReason.UnsupportedVersion);
        yield return Case("version 1.5", WaveWith(GoodBody, GoodHeader.Replace("\"version\": 1", "\"version\": 1.5", StringComparison.Ordinal)), RejectionReason.UnsupportedVersion);
        yield return Case("version as string", WaveWith(GoodBody, GoodHeader.Replace("\"version\": 1", "\"version\": \"1\"", StringComparison.Ordinal)), RejectionReason.InvalidHeader);
        yield return Case("no message id", WaveWith(GoodBody, GoodHeader.Replace("\"message_id\": \"3f2504e0-4f89-11d3-9a0c-0305e82c3301\", ", "", StringComparison.Ordinal)), RejectionReason.InvalidHeader);
        yield return Case("empty message id", WaveWith(GoodBody, GoodHeader.Replace("3f2504e0-4f89-11d3-9a0c-0305e82c3301", Guid.Empty.ToString(), StringComparison.Ordinal)), RejectionReason.InvalidHeader);
        yield return Case("bad timestamp", WaveWith(GoodBody, GoodHeader.Replace("2026-11-29T15:30:00Z", "yesterday", StringComparison.Ordinal)), RejectionReason.InvalidHeader);
        yield return Case("tier 9", WaveWith(GoodBody, GoodHeader.Replace("\"tier\": 1", "\"tier\": 9", StringComparison.Ordinal)), RejectionReason.InvalidHeader);
        yield return Case("empty entity", WaveWith(GoodBody, GoodHeader.Replace("\"entity_id\": \"c\"", "\"entity_id\": \"\"", StringComparison.Ordinal)), RejectionReason.InvalidHeader);
        yield return Case("confidence 1.5", WaveWith(GoodBody.Replace("0.5", "1.5", StringComparison.Ordinal)), RejectionReason.InvalidBody);
        yield return Case("confidence as string", WaveWith(GoodBody.Replace("0.5", "\"high\"", StringComparison.Ordinal)), RejectionReason.InvalidBody);
        yield return Case("confidence NaN string", WaveWith(GoodBody.Replace("0.5", "\"NaN\"", StringComparison.Ordinal)), RejectionReason.InvalidBody);
        yield return Case("infinite cost", WaveWith(GoodBody.Replace("0.1", "1e999", StringComparison.Ordinal)), RejectionReason.InvalidBody);
        yield return Case("negative cost", WaveWith(GoodBody.Replace("0.1", "-0.1", StringComparison.Ordinal)), RejectionReason.InvalidBody);
        yield return Case("missing domain", WaveWith(GoodBody.Replace("\"domain\": \"math\", ", "", StringComparison.Ordinal)), RejectionReason.InvalidBody);
        yield return Case("null domain", WaveWith(GoodBody.Replace("\"math\"", "null", StringComparison.Ordinal)), RejectionReason.InvalidBody);
        yield return Case("NUL in the domain", WaveWith(GoodBody.Replace("\"math\"", "\"ma\\u0000th\"", StringComparison.Ordinal)), RejectionReason.InvalidBody);
        yield return Case("a newline in the domain", WaveWith(GoodBody.Replace("\"math\"", "\"math\\nINF forged log line\"", StringComparison.Ordinal)), RejectionReason.InvalidBody);
        yield return Case("a lone surrogate in the domain", WaveWith(GoodBody.Replace("\"math\"", "\"ma\\ud800th\"", StringComparison.Ordinal)), RejectionReason.InvalidBody);
        yield return Case("a domain of 5000 characters", WaveWith(GoodBody.Replace("\"math\"", $"\"{new string('m', 5000)}\"", StringComparison.Ordinal)), RejectionReason.InvalidBody);
        yield return Case("a control character in the source", WaveWith(GoodBody, GoodHeader.Replace("\"entity_id\": \"c\"", "\"entity_id\": \"c\\u0007\"", StringComparison.Ordinal)), RejectionReason.InvalidHeader);
        yield return Case("content a number", WaveWith(GoodBody.Replace("\"content\": {}", "\"content\": 42", StringComparison.Ordinal)), RejectionReason.InvalidBody);
        yield return Case("content a string", WaveWith(GoodBody.Replace("\"content\": {}", "\"content\": \"fox\"", StringComparison.Ordinal)), RejectionReason.InvalidBody);
        yield return Case("content null", WaveWith(GoodBody.Replace("\"content\": {}", "\"content\": null", StringComparison.Ordinal)), RejectionReason.InvalidBody);
        yield return Case("a NUL deep in the content", WaveWithContent("""{"a": {"b": ["ok", "x\u0000y"]}}"""), RejectionReason.InvalidBody);
        yield return Case("a newline in a content key", WaveWithContent("""{"a\nINF forged": 1}"""), RejectionReason.InvalidBody);
        yield return Case("a lone surrogate in a content key", WaveWithContent("""{"\udc00": 1}"""), RejectionReason.InvalidBody);
        yield return Case("an infinite number in the content", WaveWithContent("""{"distance_cm": 1e400}"""), RejectionReason.InvalidBody);
        yield return Case("a content array of 1025 items", WaveWithContent($$"""{"a": [{{string.Join(",", Enumerable.Repeat("0", 1025))}}]}"""), RejectionReason.InvalidBody);
        yield return Case("a content string of 5000 characters", WaveWithContent($$"""{"a": [["{{new string('x', 5000)}}"]]}"""), RejectionReason.InvalidBody);
    }

    private static string WaveWithContent(string content) => WaveWith(GoodBody.Replace("\"content\": {}", $"\"content\": {content}", StringComparison.Ordinal));

    [Test]
    public void Nested_content_within_the_bounds_is_accepted()
    {
        var decoded = Codec.Decode<WaveBody>(Encoding.UTF8.GetBytes(WaveWithContent($$"""{"a": {"b": [1.5, "ok", true, null, [{{string.Join(",", Enumerable.Repeat("0", 1024))}}]]}, "ünïcode 🦊": "fine"}""")));

        Assert.That(decoded.Rejection, Is.Null);
    }

    [Test]
    public void Lists_in_typed_bodies_are_bounded()
    {
        var waves = Enumerable.Range(0, 1025).Select(_ => Guid.NewGuid()).ToArray();
        var gate = new GateTransitionBody("g", "math", GateState.Closed, GateState.Open, 0.9, 0.5, waves, 2);
        var allocation = new AllocationBody(1, [.. Enumerable.Range(0, AllocationBody.MaxNpcs + 1).Select(i => new NpcAllocation(i, 5, 25, false, 5))]);

        Assert.That(gate.Problem(), Does.Contain("trigger_waves has 1025 items"));
        Assert.That((gate with { TriggerWaves = waves[..1024] }).Problem(), Is.Null);
        Assert.That(allocation.Problem(), Does.Contain($"npcs has {AllocationBody.MaxNpcs + 1} items"));
    }

    [TestCaseSource(nameof(BadPayloads))]
    public void Bad_input_is_rejected_with_its_reason_and_never_throws(string payload, RejectionReason reason)
    {
        Decoded<WaveBody> decoded = default;

        Assert.DoesNotThrow(() => decoded = Codec.Decode<WaveBody>(Encoding.UTF8.GetBytes(payload)));

        Assert.That(decoded.Envelope, Is.Null);
        Assert.That(decoded.Rejection!.Reason, Is.EqualTo(reason), decoded.Rejection.Detail);
        Assert.That(decoded.Rejection.Detail, Has.Length.LessThanOrEqualTo(Rejection.MaxDetailLength + 3));
    }

    [Test]
    public void A_payload_over_the_limit_is_refused_before_it_is_parsed()
    {
        var codec = new WireCodec(maxPayloadBytes: 100);

        var decoded = codec.Decode<WaveBody>(Encoding.UTF8.GetBytes(WaveWith(GoodBody)));

        Assert.That(decoded.Rejection!.Reason, Is.EqualTo(RejectionReason.Oversized));
    }

    /// <summary>The wave's domain "math" with its 'a' replaced by <paramref name="bytes"/>: the bytes sit inside a string value, where a codec that replaced bad UTF-8 would still see a valid wave.</summary>
    private static byte[] WaveWithDomainBytes(byte[] bytes)
    {
        var text = WaveWith(GoodBody);
        var at = text.IndexOf("math", StringComparison.Ordinal) + 1;
        return [.. Encoding.UTF8.GetBytes(text[..at]), .. bytes, .. Encoding.UTF8.GetBytes(text[(at + 1)..])];
    }

    [TestCase(new byte[] { 0xFF }, TestName = "a byte never valid in UTF-8")]
    [TestCase(new byte[] { 0x80 }, TestName = "a lone continuation byte")]
    [TestCase(new byte[] { 0xC0, 0xAF }, TestName = "an overlong encoding")]
    [TestCase(new byte[] { 0xED, 0xA0, 0x80 }, TestName = "a UTF-16 surrogate encoded as UTF-8")]
    public void Invalid_utf8_inside_a_string_is_malformed_not_replaced(byte[] bad)
    {
        var decoded = Codec.Decode<WaveBody>(WaveWithDomainBytes(bad));

        Assert.That(decoded.Envelope, Is.Null, "a replacing decoder would have accepted this wave");
        Assert.That(decoded.Rejection!.Reason, Is.EqualTo(RejectionReason.MalformedJson));
    }

    [Test]
    public void A_surrogate_pair_escaped_in_json_is_text_and_accepted()
    {
        var decoded = Codec.Decode<WaveBody>(Encoding.UTF8.GetBytes(WaveWith(GoodBody.Replace("\"math\"", "\"m\\ud83e\\udde0th\"", StringComparison.Ordinal))));

        Assert.That(decoded.Envelope?.Body.Domain, Is.EqualTo("m\U0001F9E0th"), decoded.Rejection?.ToString());
    }

    [Test]
    public void Valid_multibyte_utf8_in_the_same_place_is_accepted()
    {
        var decoded = Codec.Decode<WaveBody>(WaveWithDomainBytes(Encoding.UTF8.GetBytes("ä")));

        Assert.That(decoded.Envelope?.Body.Domain, Is.EqualTo("mäth"), decoded.Rejection?.ToString());
    }

    [TestCase("""{"operation": "add", "operands": [1, "2"]}""")]
    [TestCase("""{"operation": "", "operands": [1]}""")]
    [TestCase("""{"operation": "add"}""")]
    public void Bad_cell_requests_are_invalid_bodies(string body)
    {
        var payload = WaveWith(body, GoodHeader.Replace("\"wave\"", "\"cell_request\"", StringComparison.Ordinal));

        Assert.That(Codec.Decode<CellRequestBody>(Encoding.UTF8.GetBytes(payload)).Rejection!.Reason, Is.EqualTo(RejectionReason.InvalidBody));
    }

    [TestCase("set_tick_rate", null, "needs tick_rate_hz")]
    [TestCase("set_tick_rate", 50.0, "outside 1..20")]
    [TestCase("reboot", null, "not one of")]
    public void Bad_npc_commands_say_what_is_wrong(string command, double? rate, string problem)
    {
        Assert.That(new NpcCommandBody(command, rate).Problem(), Does.Contain(problem));
    }
}

/// <summary>Decoding is the first thing network garbage meets; it must refuse, never throw.</summary>
[Category(TestTier.Unit)]
public sealed class WireCodecFuzzTests
{
    [Test]
    public void Fifty_thousand_mutated_requests_are_each_decoded_or_rejected_without_an_exception()
    {
        var valid = WireCodec.Default.Encode(WireSamples.Envelope(WireSamples.CellRequest));
        var random = new Random(20261129);
        var outcomes = new Dictionary<string, int>();

        for (var i = 0; i < 50_000; i++)
        {
            var payload = (byte[])valid.Clone();
            for (var flips = 1 + random.Next(4); flips > 0; flips--)
            {
                payload[random.Next(payload.Length)] ^= (byte)(1 << random.Next(8));
            }

            if (random.Next(4) == 0)
            {
                payload = payload[..random.Next(payload.Length)];
            }

            var decoded = WireCodec.Default.Decode<CellRequestBody>(payload);
            var outcome = decoded.Envelope is not null ? "valid" : decoded.Rejection!.Reason.ToString();
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        Assert.That(outcomes.Values.Sum(), Is.EqualTo(50_000));
        Assert.That(outcomes.Keys, Does.Contain(nameof(RejectionReason.MalformedJson)), "invalid UTF-8 and broken syntax are among them");
    }
}
