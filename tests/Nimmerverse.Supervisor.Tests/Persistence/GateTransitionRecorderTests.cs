using Microsoft.Extensions.Logging.Abstractions;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Persistence;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Nats;
using Nimmerverse.Testing.Postgres;
using Npgsql;

namespace Nimmerverse.Supervisor.Tests.Persistence;

/// <summary>
/// Gate transitions from the JetStream stream into <c>gate_transitions</c>, against a real
/// nats-server and a real PostgreSQL: each exactly once, malformed ones counted, and nothing lost
/// while PostgreSQL is away.
/// </summary>
[Category(TestTier.Integration)]
public sealed class GateTransitionRecorderTests
{
    private static readonly string Stream = NatsBridgeSettings.GateStreamName("dev");
    private static readonly MessageSource Thalamus = new("thalamus@test", "thalamus", 1);

    private NatsServer _nats = null!;
    private NatsConnection _client = null!;
    private NatsJSContext _jetStream = null!;

    [SetUp]
    public async Task StartNatsWithTheGateStream()
    {
        _nats = await NatsServer.StartAsync();
        _client = new NatsConnection(new NatsOpts { Url = _nats.Url });
        _jetStream = new NatsJSContext(_client);
        // The stream as the NATS bridge declares it.
        await _jetStream.CreateStreamAsync(new StreamConfig(Stream, [NatsBridgeSettings.GateStreamSubjects("dev")]));
    }

    [TearDown]
    public async Task StopNats()
    {
        await _client.DisposeAsync();
        await _nats.DisposeAsync();
    }

    private static Envelope<GateTransitionBody> Transition(int n) => new(
        MessageHeader.New<GateTransitionBody>(Thalamus),
        new GateTransitionBody($"gate-{n % 3}", "vision", GateState.Closed, GateState.Open, 0.9, 0.8, [Guid.NewGuid()], 3));

    private async Task PublishAsync(Envelope<GateTransitionBody> transition) =>
        (await _jetStream.PublishAsync($"dev.thalamus.gate.{(transition.Body.ToState == GateState.Open ? "open" : "close")}", WireCodec.Default.Encode(transition))).EnsureSuccess();

    private static async Task<JetStreamRecorder<GateTransitionBody>> StartRecorderAsync(INatsConnection nats, NpgsqlDataSource dataSource, IEnvelopeStore<GateTransitionBody>? store = null)
    {
        var startup = new DatabaseStartup(dataSource, NullLogger<DatabaseStartup>.Instance);
        await startup.StartAsync(CancellationToken.None);
        await startup.WhenReady;
        var deadLetters = new PostgresDeadLetters(dataSource);
        var recorder = new JetStreamRecorder<GateTransitionBody>(
            nats, store ?? new PostgresGateTransitionStore(dataSource, deadLetters), deadLetters, startup,
            JetStreamRecorderSettings.Gates(Stream, retryInterval: TimeSpan.FromMilliseconds(500)), NullLogger<JetStreamRecorder<GateTransitionBody>>.Instance);
        await recorder.StartAsync(CancellationToken.None);
        return recorder;
    }

    private static async Task<Dictionary<Guid, long>> StoredAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("select message_id, count(*) from gate_transitions group by message_id");
        await using var reader = await command.ExecuteReaderAsync();
        var stored = new Dictionary<Guid, long>();
        while (await reader.ReadAsync())
        {
            stored[reader.GetGuid(0)] = reader.GetInt64(1);
        }

        return stored;
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_transition_whose_gate_id_holds_a_NUL_is_set_aside_and_the_next_one_is_stored()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var dataSource = database.DataSource();
        var recorder = await StartRecorderAsync(_client, dataSource);
        var poison = Transition(0) with { Body = Transition(0).Body with { GateId = "gate-\0vision" } };
        var next = Transition(1);

        await PublishAsync(poison); // PostgreSQL refuses NUL in text (22021): stored, it would stall the record for good
        await PublishAsync(next);

        Assert.That(await Eventually.TrueAsync(async () => (await StoredAsync(dataSource)).ContainsKey(next.Header.MessageId), TimeSpan.FromSeconds(20)), Is.True, recorder.Describe());
        Assert.That((await StoredAsync(dataSource)).Keys, Is.EqualTo(new[] { next.Header.MessageId }));
        Assert.That(recorder.Malformed, Is.EqualTo(1), "the poison was counted, not retried");
        await using (var letter = dataSource.CreateCommand("select message_id, reason, sql_state is null from dead_letters where path = 'gate_transitions'"))
        await using (var row = await letter.ExecuteReaderAsync())
        {
            Assert.That(await row.ReadAsync(), Is.True, "set aside where it can be seen");
            Assert.That(row.GetGuid(0), Is.EqualTo(poison.Header.MessageId));
            Assert.That(row.GetString(1), Does.Contain("InvalidBody: gate_id holds the control character U+0000"));
            Assert.That(row.GetBoolean(2), Is.True, "refused at decode time, not by PostgreSQL");
        }

        var consumer = await _jetStream.GetConsumerAsync(Stream, "gate-transitions-recorder");
        Assert.That(await Eventually.TrueAsync(async () => { await consumer.RefreshAsync(); return consumer.Info.NumAckPending == 0 && consumer.Info.NumPending == 0; }, TimeSpan.FromSeconds(10)), Is.True, "nothing waits in the stream");
        await recorder.StopAsync(CancellationToken.None);
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_valid_transition_that_PostgreSQL_refuses_is_set_aside_with_its_reason_and_the_batch_around_it_is_stored()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var dataSource = database.DataSource();
        var recorder = await StartRecorderAsync(_client, dataSource);
        // A rule the database holds and the wire does not know (as a later schema might): this one
        // passes every check at decode time and is refused only by the insert.
        await using (var rule = dataSource.CreateCommand("alter table gate_transitions add constraint no_gate_13 check (gate_id <> 'gate-13')"))
        {
            await rule.ExecuteNonQueryAsync();
        }

        var poison = Transition(0) with { Body = Transition(0).Body with { GateId = "gate-13" } };
        var around = Enumerable.Range(1, 6).Select(Transition).ToList();
        foreach (var transition in around.Take(3).Append(poison).Concat(around.Skip(3)))
        {
            await PublishAsync(transition);
        }

        Assert.That(await Eventually.TrueAsync(async () => (await StoredAsync(dataSource)).Count == 6, TimeSpan.FromSeconds(20)), Is.True, recorder.Describe());
        Assert.That((await StoredAsync(dataSource)).Keys, Is.EquivalentTo(around.Select(t => t.Header.MessageId)));
        await using (var letters = dataSource.CreateCommand("select path, message_id, sql_state, reason, payload from dead_letters"))
        await using (var reader = await letters.ExecuteReaderAsync())
        {
            Assert.That(await reader.ReadAsync(), Is.True, "the refused transition is in dead_letters");
            Assert.That((reader.GetString(0), reader.GetGuid(1), reader.GetString(2)), Is.EqualTo(("gate_transitions", poison.Header.MessageId, "23514")));
            Assert.That(reader.GetString(3), Does.Contain("no_gate_13"));
            Assert.That(WireCodec.Default.Decode<GateTransitionBody>(reader.GetFieldValue<byte[]>(4)).Envelope?.Body.GateId, Is.EqualTo("gate-13"), "kept as it came, to be replayed once the rule is mended");
            Assert.That(await reader.ReadAsync(), Is.False);
        }

        var consumer = await _jetStream.GetConsumerAsync(Stream, "gate-transitions-recorder");
        Assert.That(await Eventually.TrueAsync(async () => { await consumer.RefreshAsync(); return consumer.Info.NumAckPending == 0 && consumer.Info.NumPending == 0; }, TimeSpan.FromSeconds(10)), Is.True, "nothing waits in the stream");
        await recorder.StopAsync(CancellationToken.None);
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Transitions_before_and_after_the_start_are_stored_once_each_and_malformed_ones_are_counted()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var dataSource = database.DataSource();
        var sent = Enumerable.Range(0, 40).Select(Transition).ToList();
        foreach (var transition in sent.Take(20))
        {
            await PublishAsync(transition);
        }

        var recorder = await StartRecorderAsync(_client, dataSource);
        foreach (var transition in sent.Skip(20))
        {
            await PublishAsync(transition);
        }

        // The same transition twice in the stream (republished after JetStream's duplicate window), and one that is not a transition.
        await PublishAsync(sent[5]);
        (await _jetStream.PublishAsync("dev.thalamus.gate.open", "{\"header\":{}}"u8.ToArray())).EnsureSuccess();

        Assert.That(await Eventually.TrueAsync(async () => (await StoredAsync(dataSource)).Count == 40 && recorder.Malformed == 1, TimeSpan.FromSeconds(20)), Is.True, recorder.Describe());
        var stored = await StoredAsync(dataSource);
        Assert.That(stored.Keys, Is.EquivalentTo(sent.Select(t => t.Header.MessageId)));
        Assert.That(stored.Values, Is.All.EqualTo(1));
        Assert.That(recorder.Recorded, Is.EqualTo(40), "the repeat was not counted as recorded");
        Assert.That(recorder.Describe(), Is.EqualTo("gates: 40 recorded, 1 malformed"));

        await using (var row = dataSource.CreateCommand("select gate_id, domain, from_state, to_state, routed_to_tier, trigger_waves from gate_transitions where message_id = $1"))
        {
            row.Parameters.Add(new NpgsqlParameter { Value = sent[7].Header.MessageId });
            await using var reader = await row.ExecuteReaderAsync();
            Assert.That(await reader.ReadAsync(), Is.True);
            Assert.That((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt16(4)), Is.EqualTo(("gate-1", "vision", "CLOSED", "OPEN", (short)3)));
            Assert.That(reader.GetFieldValue<Guid[]>(5), Is.EqualTo(sent[7].Body.TriggerWaves));
        }

        // Acknowledged: a recorder started later has nothing left to read.
        await recorder.StopAsync(CancellationToken.None);
        var consumer = await _jetStream.GetConsumerAsync(Stream, "gate-transitions-recorder");
        Assert.That(await Eventually.TrueAsync(async () =>
        {
            await consumer.RefreshAsync();
            return consumer.Info is { NumPending: 0, NumAckPending: 0 };
        }, TimeSpan.FromSeconds(10)), Is.True, $"pending {consumer.Info.NumPending}, unacknowledged {consumer.Info.NumAckPending}");
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task A_restarted_nats_server_and_a_deleted_consumer_only_delay_the_record()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var dataSource = database.DataSource();
        var recorder = await StartRecorderAsync(_client, dataSource);
        var sent = Enumerable.Range(0, 30).Select(Transition).ToList();
        foreach (var transition in sent.Take(10))
        {
            await PublishAsync(transition);
        }

        Assert.That(await Eventually.TrueAsync(async () => (await StoredAsync(dataSource)).Count == 10, TimeSpan.FromSeconds(20)), Is.True, recorder.Describe());

        // The server goes away and comes back (its JetStream store kept on disk).
        await _nats.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));
        await _nats.RestartAsync();
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                await PublishAsync(sent[10]);
                return true;
            }
            catch (NatsException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(20));
        foreach (var transition in sent.Skip(11).Take(9))
        {
            await PublishAsync(transition);
        }

        Assert.That(await Eventually.TrueAsync(async () => (await StoredAsync(dataSource)).Count == 20, TimeSpan.FromSeconds(30)), Is.True, recorder.Describe());

        // Someone deletes the durable consumer: the recorder makes it again and reads on.
        await _jetStream.DeleteConsumerAsync(Stream, "gate-transitions-recorder");
        foreach (var transition in sent.Skip(20))
        {
            await PublishAsync(transition);
        }

        Assert.That(await Eventually.TrueAsync(async () => (await StoredAsync(dataSource)).Count == 30, TimeSpan.FromSeconds(30)), Is.True, recorder.Describe());
        var stored = await StoredAsync(dataSource);
        Assert.That(stored.Keys, Is.EquivalentTo(sent.Select(t => t.Header.MessageId)));
        Assert.That(stored.Values, Is.All.EqualTo(1), "the new consumer read the stream from the start; what was stored was skipped");
        await recorder.StopAsync(CancellationToken.None);
    }

    /// <summary>The real store, whose next write can be held until the test lets it go.</summary>
    private sealed class HoldableStore(IEnvelopeStore<GateTransitionBody> inner) : IEnvelopeStore<GateTransitionBody>
    {
        private TaskCompletionSource? _held;

        public TaskCompletionSource Writing { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Path => inner.Path;

        public TaskCompletionSource HoldNextWrite() => _held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<int> WriteAsync(IReadOnlyList<Envelope<GateTransitionBody>> batch, CancellationToken cancellationToken)
        {
            if (Interlocked.Exchange(ref _held, null) is { } held)
            {
                Writing.TrySetResult();
                await held.Task.WaitAsync(cancellationToken);
            }

            return await inner.WriteAsync(batch, cancellationToken);
        }
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_consumer_deleted_while_no_fetch_waits_on_it_is_made_again()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var dataSource = database.DataSource();
        var deadLetters = new PostgresDeadLetters(dataSource);
        var store = new HoldableStore(new PostgresGateTransitionStore(dataSource, deadLetters));
        var release = store.HoldNextWrite();
        var recorder = await StartRecorderAsync(_client, dataSource, store);
        var sent = Enumerable.Range(0, 2).Select(Transition).ToList();
        await PublishAsync(sent[0]);
        await store.Writing.Task.WaitAsync(TimeSpan.FromSeconds(20));

        // Deleted while the recorder stores its batch: its next fetch asks a consumer that is not there and is never
        // answered, which ends the fetch as quietly as an empty one.
        await _jetStream.DeleteConsumerAsync(Stream, "gate-transitions-recorder");
        release.SetResult();
        await PublishAsync(sent[1]);

        Assert.That(await Eventually.TrueAsync(async () => (await StoredAsync(dataSource)).Count == 2, TimeSpan.FromSeconds(20)), Is.True, recorder.Describe());
        Assert.That((await StoredAsync(dataSource)).Values, Is.All.EqualTo(1));
        await recorder.StopAsync(CancellationToken.None);
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task A_batch_held_by_a_recorder_that_died_is_delivered_again_and_stored_though_later_batches_were_acknowledged()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var dataSource = database.DataSource();
        var sent = Enumerable.Range(0, 11).Select(Transition).ToList();
        var first = await StartRecorderAsync(_client, dataSource);
        await PublishAsync(sent[0]);
        Assert.That(await Eventually.TrueAsync(async () => (await StoredAsync(dataSource)).Count == 1, TimeSpan.FromSeconds(20)), Is.True, first.Describe());
        await first.StopAsync(CancellationToken.None);

        // A recorder on another host fetches the next five and dies before it stores them.
        foreach (var transition in sent.Skip(1).Take(5))
        {
            await PublishAsync(transition);
        }

        var consumer = await _jetStream.GetConsumerAsync(Stream, "gate-transitions-recorder");
        var held = 0;
        await foreach (var _ in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 5, Expires = TimeSpan.FromSeconds(2) }))
        {
            held++;
        }

        Assert.That(held, Is.EqualTo(5), "the dead recorder's batch");
        var second = await StartRecorderAsync(_client, dataSource);
        foreach (var transition in sent.Skip(6))
        {
            await PublishAsync(transition);
        }

        Assert.That(await Eventually.TrueAsync(async () => (await StoredAsync(dataSource)).Count == 11, TimeSpan.FromSeconds(30)), Is.True,
            $"{second.Describe()}; stored {(await StoredAsync(dataSource)).Count} of 11");
        var stored = await StoredAsync(dataSource);
        Assert.That(stored.Keys, Is.EquivalentTo(sent.Select(t => t.Header.MessageId)));
        Assert.That(stored.Values, Is.All.EqualTo(1));
        await second.StopAsync(CancellationToken.None);
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_consumer_that_acknowledges_cumulatively_is_replaced_by_one_that_acknowledges_each_message()
    {
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var dataSource = database.DataSource();
        // The durable consumer as versions before this one made it, which had acknowledged the first three.
        var old = await _jetStream.CreateOrUpdateConsumerAsync(Stream, new ConsumerConfig("gate-transitions-recorder") { AckPolicy = ConsumerConfigAckPolicy.All, DeliverPolicy = ConsumerConfigDeliverPolicy.All });
        var sent = Enumerable.Range(0, 6).Select(Transition).ToList();
        foreach (var transition in sent)
        {
            await PublishAsync(transition);
        }

        await foreach (var message in old.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 3, Expires = TimeSpan.FromSeconds(2) }))
        {
            await message.AckAsync();
        }

        var recorder = await StartRecorderAsync(_client, dataSource);
        Assert.That(await Eventually.TrueAsync(async () => (await StoredAsync(dataSource)).Count == 6, TimeSpan.FromSeconds(20)), Is.True, recorder.Describe());
        var consumer = await _jetStream.GetConsumerAsync(Stream, "gate-transitions-recorder");
        Assert.That(consumer.Info.Config.AckPolicy, Is.EqualTo(ConsumerConfigAckPolicy.Explicit));
        Assert.That(consumer.Info.Config.AckWait, Is.EqualTo(JetStreamRecorder<GateTransitionBody>.RedeliverAfter));
        Assert.That((await StoredAsync(dataSource)).Keys, Is.EquivalentTo(sent.Select(t => t.Header.MessageId)), "the new consumer read the stream from its start");
        await recorder.StopAsync(CancellationToken.None);
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Transitions_published_through_a_PostgreSQL_outage_of_12_seconds_are_all_stored_exactly_once()
    {
        await using var server = await PrivatePostgres.StartAsync();
        await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString);
        var recorder = await StartRecorderAsync(_client, dataSource);
        var sent = new List<Guid>();
        string? statusDuringOutage = null;

        // Twenty transitions a second for 20 s; PostgreSQL is down from 4 s to 16 s.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var outage = server.OutageAsync(TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(12), () => statusDuringOutage = recorder.Describe());
        for (var n = 0; clock.Elapsed < TimeSpan.FromSeconds(20); n++)
        {
            var transition = Transition(n);
            await PublishAsync(transition);
            sent.Add(transition.Header.MessageId);
            await Task.Delay(50);
        }

        await outage;
        Assert.That(await Eventually.TrueAsync(async () => (await StoredAsync(dataSource)).Count == sent.Count, TimeSpan.FromSeconds(30)), Is.True, recorder.Describe());
        var stored = await StoredAsync(dataSource);
        Assert.That(stored.Keys, Is.EquivalentTo(sent));
        Assert.That(stored.Values, Is.All.EqualTo(1));
        Assert.That(statusDuringOutage, Does.StartWith("gates: waiting for PostgreSQL"));
        Assert.That(recorder.Describe(), Is.EqualTo($"gates: {sent.Count} recorded"));
        TestContext.Out.WriteLine($"{sent.Count} gate transitions through a 12 s outage, all stored once; during it: {statusDuringOutage}");
        await recorder.StopAsync(CancellationToken.None);
    }
}
