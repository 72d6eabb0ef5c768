using System.Text.Json;
using NATS.Client.Core;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;
using Npgsql;

namespace Nimmerverse.Supervisor.Tests.Organs;

/// <summary>
/// The organs inside a whole supervisor (role <c>organs</c>) with a real NATS, PostgreSQL and real
/// organ processes: the organism says a command, hears it back, each operation is a trail in
/// <c>organ_trails</c> and a wave; lifecycle steps go out as <c>organ_state</c>; <c>/api/status</c>
/// shows the organs; and stopping the supervisor ends every organ process.
/// </summary>
[Category(TestTier.Integration)]
public sealed class OrgansInTheSupervisorTests
{
    [Test]
    [CancelAfter(180_000)]
    public async Task Speaking_and_hearing_over_the_bus_is_paid_answered_kept_and_felt_as_waves()
    {
        await using var host = await OrgansHost.StartAsync([ClusterRoles.Organs], ("NIMMERVERSE_ORGANS__CARDS__0", "0"), ("NIMMERVERSE_ORGANS__CARDS__1", "1"));
        var (client, subjects, loaded, nats) = (host.Client, host.Subjects, host.Loaded, host.Nats);
        Assert.That(loaded.Options.Organs.Cards, Is.EqualTo(new[] { "0", "1" }), "a list in the configuration replaces the default");
        var waves = new List<WaveBody>();
        var states = new List<OrganStateBody>();
        using var listening = new CancellationTokenSource();
        // Subscribed before the first request, so that the first state (loading) is not missed.
        await using var waveSubscription = await client.SubscribeCoreAsync<byte[]>(subjects.OrganWaves.Value);
        await using var stateSubscription = await client.SubscribeCoreAsync<byte[]>("dev.organs.*.state");
        await client.PingAsync();
        var wavesRead = Task.Run(async () =>
        {
            await foreach (var message in waveSubscription.Msgs.ReadAllAsync(listening.Token))
            {
                lock (waves)
                {
                    waves.Add(WireCodec.Default.Decode<WaveBody>(message.Data!).Envelope!.Body);
                }
            }
        });
        var statesRead = Task.Run(async () =>
        {
            await foreach (var message in stateSubscription.Msgs.ReadAllAsync(listening.Token))
            {
                lock (states)
                {
                    states.Add(WireCodec.Default.Decode<OrganStateBody>(message.Data!).Envelope!.Body);
                }
            }
        });

        var spoken = await host.FirstAnswerAsync(OrganNames.TextToSpeech, new OrganRequestBody("operator", Text: "turn left"));
        Assert.That(spoken.Body.Status, Is.EqualTo(RequestStatus.Answered), spoken.Body.Detail);
        Assert.That(spoken.Body.LoadMs, Is.GreaterThan(0), "the first call waited for the voice to load");
        var (heardId, heard) = await host.AskAsync(OrganNames.SpeechToText, new OrganRequestBody("npc-3", Media: spoken.Body.Speech));
        Assert.That((heard!.Status, heard.Transcription?.Text), Is.EqualTo((RequestStatus.Answered, "turn left")), heard.Detail);
        var (_, invalid) = await host.AskAsync(OrganNames.Vision, new OrganRequestBody("operator", Text: "look"));
        Assert.That(invalid!.Reason, Is.EqualTo(OrganReasons.InvalidRequest));
        var (_, corrupt) = await host.AskAsync(OrganNames.Vision, new OrganRequestBody("operator", Media: "\x89PNG but not really"u8.ToArray()));
        Assert.That((corrupt!.Status, corrupt.Reason), Is.EqualTo((RequestStatus.Refused, OrganReasons.InputRefused)), corrupt.Detail);

        await using var dataSource = NpgsqlDataSource.Create(host.Database.ConnectionString);
        Assert.That(await Eventually.TrueAsync(async () =>
        {
            await using var count = dataSource.CreateCommand("select count(*) from organ_trails");
            return (long)(await count.ExecuteScalarAsync())! >= 4;
        }, TimeSpan.FromSeconds(20)), Is.True, "four trails: spoken, heard, two refused");
        await using (var row = dataSource.CreateCommand($"select organ, status, input, output, confidence, lifeforce_spent, card, host from organ_trails where request_id = '{heardId}'"))
        await using (var reader = await row.ExecuteReaderAsync())
        {
            Assert.That(await reader.ReadAsync(), Is.True);
            Assert.Multiple(() =>
            {
                Assert.That((reader.GetString(0), reader.GetString(1)), Is.EqualTo((OrganNames.SpeechToText, RequestStatus.Answered)));
                Assert.That(reader.GetString(2), Does.Match(@"^audio/wav, [\d,]+ bytes, \d\.\d\d s$"), "the audio summarised, not kept");
                Assert.That(reader.GetString(3), Is.EqualTo("\"turn left\""));
                Assert.That(reader.GetDouble(4), Is.EqualTo(heard.Transcription!.Confidence).Within(1e-9));
                Assert.That(reader.GetDouble(5), Is.EqualTo(5), "speech-to-text costs 5 LF");
                Assert.That(reader.GetString(6), Is.AnyOf("0", "1"));
                Assert.That(reader.GetString(7), Is.EqualTo(loaded.Options.HostName));
            });
        }

        Assert.That(await Eventually.TrueAsync(() => Task.FromResult(waves.Count >= 2), TimeSpan.FromSeconds(10)), Is.True, "a wave per answer");
        lock (waves)
        {
            Assert.That(waves.Select(w => w.Domain), Is.EquivalentTo(new[] { OrganNames.TextToSpeech, OrganNames.SpeechToText }));
            Assert.That(waves.Single(w => w.Domain == OrganNames.SpeechToText).Content.GetProperty("text").GetString(), Is.EqualTo("turn left"));
        }

        lock (states)
        {
            Assert.That(states.Where(s => s.Organ == OrganNames.TextToSpeech).Select(s => s.State).Take(2), Is.EqualTo(new[] { OrganStates.Loading, OrganStates.Ready }));
            Assert.That(states.First(s => s.Organ == OrganNames.TextToSpeech && s.State == OrganStates.Ready).LoadMs, Is.GreaterThan(0));
        }

        using var http = new HttpClient { BaseAddress = new Uri(loaded.Options.Http.Listen) };
        JsonElement organs = default;
        Assert.That(await Eventually.TrueAsync(async () =>
        {
            var status = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/status", UriKind.Relative))).RootElement;
            return status.TryGetProperty("organs", out organs) && organs.GetProperty("organs").GetProperty(OrganNames.SpeechToText).GetProperty("answered").GetInt64() == 1;
        }, TimeSpan.FromSeconds(10)), Is.True, "/api/status has the organs");
        var pids = organs.GetProperty("organs").EnumerateObject().Where(o => o.Value.TryGetProperty("pid", out _)).Select(o => o.Value.GetProperty("pid").GetInt32()).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(organs.GetProperty("refused").GetProperty(OrganReasons.InvalidRequest).GetInt64(), Is.EqualTo(1));
            Assert.That(organs.GetProperty("lifeforce_spent").GetDouble(), Is.EqualTo(9), "4 LF to speak, 5 to hear");
            Assert.That(pids, Is.Not.Empty);
        });

        // The operator's verbs: say the words into a file, hear them back from it.
        var recording = Path.Combine(Path.GetTempPath(), $"nimmerverse-say-{Guid.NewGuid():N}.wav");
        try
        {
            using var said = new StringWriter();
            using var error = new StringWriter();
            Assert.That(await new Nimmerverse.Supervisor.Cli.NatsCommand(said, error).RunAsync(["say", "resume", "citizen", "four", "--out", recording, "--server", nats.Url], nats.Url, CancellationToken.None), Is.Zero, error.ToString());
            using var heardByCli = new StringWriter();
            Assert.That(await new Nimmerverse.Supervisor.Cli.NatsCommand(heardByCli, error).RunAsync(["hear", recording, "--server", nats.Url], nats.Url, CancellationToken.None), Is.Zero, error.ToString());
            var cli = OrganRequestBody.Codec.Decode<OrganResponseBody>(System.Text.Encoding.UTF8.GetBytes(heardByCli.ToString().Trim())).Envelope!.Body;
            Assert.That((cli.Requester, cli.Transcription?.Text), Is.EqualTo(("operator", "resume citizen four")), cli.Detail);
        }
        finally
        {
            File.Delete(recording);
        }

        await host.App.StopAsync();
        await listening.CancelAsync();
        Assert.That(pids.Where(pid => Directory.Exists($"/proc/{pid}")), Is.Empty, "no organ outlives its supervisor");
        await Task.WhenAll(wavesRead, statesRead).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task A_rising_proximity_gate_loads_vision_before_anyone_asks()
    {
        await using var host = await OrgansHost.StartAsync([ClusterRoles.Organs, ClusterRoles.Thalamus]);
        var (client, subjects) = (host.Client, host.Subjects);
        await using var states = await client.SubscribeCoreAsync<byte[]>(subjects.OrganState(OrganNames.Vision).Value);
        var sensor = new MessageSource("sensor@test", "cell", Tiers.Cells);

        // Something comes near, again and again: the proximity gate rises toward open.
        using var near = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        OrganStateBody? state = null;
        while (state is not { State: OrganStates.Ready })
        {
            var wave = new WaveBody("proximity", 1, JsonDocument.Parse("""{"distance_cm": 12}""").RootElement, 0.1);
            await client.PublishAsync(subjects.CellWave("sensor").Value, WireCodec.Default.Encode(Envelopes.Of(sensor, wave)), cancellationToken: near.Token);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(near.Token);
            wait.CancelAfter(TimeSpan.FromMilliseconds(200));
            try
            {
                var message = await states.Msgs.ReadAsync(wait.Token);
                state = WireCodec.Default.Decode<OrganStateBody>(message.Data!).Envelope!.Body;
            }
            catch (OperationCanceledException) when (!near.IsCancellationRequested)
            {
            }
        }

        Assert.That(state.Card, Is.EqualTo("0"), "vision loaded on the free card");
        Assert.That(state.LoadMs, Is.GreaterThan(0), "and says how long the load took");
        Assert.That(Directory.Exists($"/proc/{state.Pid}"), Is.True);
    }

    [Test]
    [CancelAfter(180_000)]
    public async Task Media_too_large_for_a_message_travels_through_the_object_store_both_ways()
    {
        await using var host = await OrgansHost.StartAsync([ClusterRoles.Organs], ("NIMMERVERSE_ORGANS__CARDS__0", "0"), ("NIMMERVERSE_ORGANS__CARDS__1", "1"));
        var (client, nats) = (host.Client, host.Nats);

        // About half a minute of speech: more than a megabyte of audio, too much for one message.
        var words = string.Join(", ", Enumerable.Repeat("turn left and find the water, then follow the light to the shelter", 6));
        var (_, spoken) = await host.FirstAnswerAsync(OrganNames.TextToSpeech, new OrganRequestBody("operator", Text: words, TimeoutMs: 60_000));
        Assert.That((spoken.Status, spoken.Speech), Is.EqualTo((RequestStatus.Answered, (byte[]?)null)), spoken.Detail);
        Assert.That(spoken.SpeechObject, Does.StartWith("speech-").And.EndWith(".wav"), "the answer names the object that holds the audio");

        var bucket = await new NATS.Client.ObjectStore.NatsObjContext(new NATS.Client.JetStream.NatsJSContext(client)).GetObjectStoreAsync(OrganMedia.Bucket("dev"));
        var audio = await bucket.GetBytesAsync(spoken.SpeechObject!);
        Assert.That(OrganMedia.TooLargeForAMessage(audio.Length), Is.True, $"{audio.Length} bytes");
        await bucket.PutAsync("long-speech.wav", audio);
        var (_, heard) = await host.AskAsync(OrganNames.SpeechToText, new OrganRequestBody("operator", MediaObject: "long-speech.wav", TimeoutMs: 60_000));
        Assert.That(heard!.Status, Is.EqualTo(RequestStatus.Answered), heard.Detail);
        Assert.That(heard.Transcription!.DurationSeconds, Is.GreaterThan(20), "the whole recording was heard");

        var (_, missing) = await host.AskAsync(OrganNames.SpeechToText, new OrganRequestBody("operator", MediaObject: "never-put.wav"));
        Assert.That((missing!.Status, missing.Reason), Is.EqualTo((RequestStatus.Refused, OrganReasons.InvalidRequest)));
        Assert.That(missing.Detail, Does.Contain("never-put.wav"));

        // The operator's verbs do the same on their own: the audio fetched from the store, the file put in it.
        var recording = Path.Combine(Path.GetTempPath(), $"nimmerverse-long-{Guid.NewGuid():N}.wav");
        try
        {
            using var error = new StringWriter();
            Assert.That(await new Nimmerverse.Supervisor.Cli.NatsCommand(TextWriter.Null, error).RunAsync(["say", words, "--out", recording, "--timeout", "60", "--server", nats.Url], nats.Url, CancellationToken.None), Is.Zero, error.ToString());
            Assert.That(new FileInfo(recording).Length, Is.EqualTo(audio.Length).Within(audio.Length / 10));
            using var heardByCli = new StringWriter();
            Assert.That(await new Nimmerverse.Supervisor.Cli.NatsCommand(heardByCli, error).RunAsync(["hear", recording, "--timeout", "60", "--server", nats.Url], nats.Url, CancellationToken.None), Is.Zero, error.ToString());
            var cli = OrganRequestBody.Codec.Decode<OrganResponseBody>(System.Text.Encoding.UTF8.GetBytes(heardByCli.ToString().Trim())).Envelope!.Body;
            Assert.That(cli.Transcription!.DurationSeconds, Is.GreaterThan(20), cli.Detail);
        }
        finally
        {
            File.Delete(recording);
        }
    }
}
