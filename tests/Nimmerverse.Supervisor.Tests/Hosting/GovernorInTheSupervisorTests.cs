using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using NATS.Client.Core;
using NATS.Client.JetStream;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Supervisor.Hosting;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Nats;
using Nimmerverse.Testing.Postgres;
using Npgsql;
using Serilog;

namespace Nimmerverse.Supervisor.Tests.Hosting;

/// <summary>
/// The governor inside a whole supervisor, with a real NATS and a real PostgreSQL: NPC states go
/// in over NATS, decisions come out as commands and allocations, and every decision lands in
/// <c>decision_trails</c>; the cluster's gate transitions land in <c>gate_transitions</c>.
/// </summary>
[Category(TestTier.Integration)]
public sealed class GovernorInTheSupervisorTests
{
    [Test]
    [CancelAfter(90_000)]
    public async Task States_in_become_tick_rate_commands_an_allocation_and_trails_in_postgresql()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var database = await PostgresTestDatabase.CreateAsync();
        var environment = SupervisorEnvironment.Local(nats.Url, database.ConnectionString,
            ("NIMMERVERSE_LOGGING__TARGET", "console"),
            ("NIMMERVERSE_ROLES__0", "governor"),
            ("NIMMERVERSE_GOVERNOR__EPOCH", "00:00:00.200"),
            ("NIMMERVERSE_GOVERNOR__POLICY", "equal-share"),
            ("NIMMERVERSE_GOVERNOR__HOSTCPUBUDGETPERCENT", "90"),
            ("NIMMERVERSE_TRAILS__SPOOLPATH", Path.Combine(Path.GetTempPath(), $"nv-trails-{Guid.NewGuid():N}.spool")));
        var loaded = ConfigurationLoader.Load(null, environment, AppContext.BaseDirectory);
        await using var app = SupervisorHost.Build(loaded, new LoggerConfiguration().CreateLogger());
        await app.StartAsync();
        await using var client = new NatsConnection(new NatsOpts { Url = nats.Url });
        var commands = new ConcurrentQueue<(string Subject, NpcCommandBody Body)>();
        var allocations = new ConcurrentQueue<AllocationBody>();
        using var stop = new CancellationTokenSource();
        var listening = Task.WhenAll(
            Task.Run(async () =>
            {
                await foreach (var m in client.SubscribeAsync<byte[]>("dev.npc.*.command", cancellationToken: stop.Token))
                {
                    if (WireCodec.Default.Decode<NpcCommandBody>(m.Data!).Envelope is { } e)
                    {
                        commands.Enqueue((m.Subject, e.Body));
                    }
                }
            }),
            Task.Run(async () =>
            {
                await foreach (var m in client.SubscribeAsync<byte[]>("dev.thalamus.governor.allocate", cancellationToken: stop.Token))
                {
                    if (WireCodec.Default.Decode<AllocationBody>(m.Data!).Envelope is { } e)
                    {
                        allocations.Enqueue(e.Body);
                    }
                }
            }));

        // Three NPCs reporting, and one with an impossible state, for two seconds.
        for (var round = 0; round < 20; round++)
        {
            foreach (var id in new[] { 0, 1, 2, 3 })
            {
                var state = new NpcStateBody(id, round, 5, id == 3 ? -1 : 5, 1, 0, 1, 0.5, 0.1, 0.1, 10, round * 20.0);
                await client.PublishAsync($"dev.npc.{id}.state", WireCodec.Default.Encode(Envelopes.Of(new MessageSource($"npc-{id}", "npc", 1), state)));
            }

            await Task.Delay(100);
        }

        Assert.That(await Eventually.TrueAsync(() => Task.FromResult(allocations.Any(a => a.Npcs.Count == 3)), TimeSpan.FromSeconds(10)), Is.True, "an allocation for the three NPCs");
        var allocation = allocations.Last(a => a.Npcs.Count == 3);
        Assert.That(allocation.Npcs, Is.EqualTo(new[] { new NpcAllocation(0, 5, 30, false, 5), new NpcAllocation(1, 5, 30, false, 5), new NpcAllocation(2, 5, 30, false, 5) }),
            "equal shares of a 90 % budget");
        Assert.That(commands.Select(c => c.Subject).Distinct().Order(), Is.EqualTo(new[] { "dev.npc.0.command", "dev.npc.1.command", "dev.npc.2.command" }), "NPC 3's state was rejected");
        Assert.That(commands.Select(c => c.Body), Is.All.EqualTo(new NpcCommandBody("set_tick_rate", 5)));

        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        long trails = 0;
        var stored = await Eventually.TrueAsync(async () =>
        {
            await using var count = dataSource.CreateCommand("select count(*) from decision_trails where policy = 'equal-share' and npc_id in (0, 1, 2) and cpu_quota_percent = 30");
            trails = (long)(await count.ExecuteScalarAsync())!;
            return trails >= 9;
        }, TimeSpan.FromSeconds(10));
        Assert.That(stored, Is.True, $"{trails} trails");
        await using var strangers = dataSource.CreateCommand("select count(*) from decision_trails where npc_id = 3");
        Assert.That(await strangers.ExecuteScalarAsync(), Is.Zero);

        // The governor's host records the cluster's gate transitions from JetStream.
        var jetStream = new NatsJSContext(client);
        var transition = Envelopes.Of(new MessageSource("thalamus@elsewhere", "thalamus", 1),
            new GateTransitionBody("vision.edges", "vision", GateState.Stable, GateState.Open, 0.95, 0.7, [], 3));
        Assert.That(await Eventually.TrueAsync(async () =>
        {
            try
            {
                // The bridge declares the stream once it is connected; the message id makes a retry harmless.
                var ack = await jetStream.PublishAsync("dev.thalamus.gate.open", WireCodec.Default.Encode(transition), opts: new NatsJSPubOpts { MsgId = transition.Header.MessageId.ToString() });
                return ack.Error is null;
            }
            catch (NatsJSException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(10)), Is.True, "the gate stream exists");
        Assert.That(await Eventually.TrueAsync(async () =>
        {
            await using var recorded = dataSource.CreateCommand($"select count(*) from gate_transitions where message_id = '{transition.Header.MessageId}' and to_state = 'OPEN'");
            return (long)(await recorded.ExecuteScalarAsync())! == 1;
        }, TimeSpan.FromSeconds(10)), Is.True, "the transition in gate_transitions");

        await stop.CancelAsync();
        await app.StopAsync();
        await listening.ContinueWith(_ => { }, TaskScheduler.Default);
    }
}
