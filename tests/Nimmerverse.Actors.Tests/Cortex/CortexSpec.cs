using System.Collections.Concurrent;
using Akka.Actor;
using NATS.Client.Core;
using Nimmerverse.Actors.Cortex;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Nats;
using Nimmerverse.Testing.TestKit;

namespace Nimmerverse.Actors.Tests.Cortex;

/// <summary>
/// What the cortex specs share: per test a real nats-server, a bridge to it, a lifeforce ledger rich
/// enough that only the NPCs' lifeforce decides, every cortex trail seen on the bus, and clients.
/// </summary>
public abstract class CortexSpec : AkkaSpec
{
    protected static readonly Subjects Dev = new("dev");
    protected static readonly MessageSource Tester = new("spec", "test", 1);
    private readonly List<NatsConnection> _clients = [];
    private NatsServer _nats = null!;
    private NatsConnection _bridgeConnection = null!;
    private CancellationTokenSource _stop = null!;

    protected BridgeCounters Counters { get; private set; } = null!;

    protected IActorRef Bridge { get; private set; } = null!;

    protected IActorRef Ledger { get; private set; } = null!;

    /// <summary>Every cortex trail published in this test, as it came.</summary>
    protected ConcurrentQueue<CortexTrailBody> Trails { get; } = new();

    [SetUp]
    public async Task StartNats()
    {
        _nats = await NatsServer.StartAsync();
        _bridgeConnection = new NatsConnection(new NatsOpts { Url = _nats.Url, Name = "bridge-under-test", ConnectTimeout = TimeSpan.FromSeconds(15) });
        try
        {
            await _bridgeConnection.ConnectAsync();
        }
        catch
        {
            // NUnit runs no [TearDown] after a failed [SetUp]: no nats-server may be left behind.
            await _bridgeConnection.DisposeAsync();
            await _nats.DisposeAsync();
            throw;
        }

        Counters = new BridgeCounters();
        Bridge = Sys.ActorOf(NatsBridgeActor.Props(_bridgeConnection, NatsBridgeSettings.Default, "dev", Counters));
        Ledger = Sys.ActorOf(LifeforceLedgerActor.Props());
        Ledger.Tell(new LifeforceLedgerMessages.Earn(100_000, "spec", "an organism rich enough that only the NPCs' lifeforce decides"));
        _stop = new CancellationTokenSource();
        Trails.Clear();
        var trails = await ListenAsync<CortexTrailBody>(Dev.CortexTrail.Value);
        _ = Task.Run(async () =>
        {
            await foreach (var trail in trails.ReadAllAsync(_stop.Token))
            {
                Trails.Enqueue(trail.Body);
            }
        });
    }

    [TearDown]
    public async Task StopNats()
    {
        await _stop.CancelAsync();
        _stop.Dispose();
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        _clients.Clear();
        await _bridgeConnection.DisposeAsync();
        await _nats.DisposeAsync();
    }

    /// <summary>A client whose inbox is NPC <paramref name="npcId"/>'s, as its brain's is (any other inbox when null).</summary>
    protected async Task<NatsConnection> ClientAsync(int? npcId)
    {
        // A generous connect timeout: beside the other suites, two cores can take seconds to answer.
        var opts = new NatsOpts { Url = _nats.Url, Name = npcId is { } id ? $"npc-{id}" : "outside", ConnectTimeout = TimeSpan.FromSeconds(15) };
        var client = new NatsConnection(npcId is { } npc ? opts with { InboxPrefix = Dev.NpcInboxPrefix(npc) } : opts);
        await client.ConnectAsync();
        _clients.Add(client);
        return client;
    }

    /// <summary>The valid <typeparamref name="TBody"/> messages on <paramref name="subject"/> from now on (subscribed when this returns).</summary>
    protected async Task<System.Threading.Channels.ChannelReader<Envelope<TBody>>> ListenAsync<TBody>(string subject)
        where TBody : IMessageBody
    {
        var client = await ClientAsync(null);
        var subscription = await client.SubscribeCoreAsync<byte[]>(subject, cancellationToken: _stop.Token);
        var channel = System.Threading.Channels.Channel.CreateUnbounded<Envelope<TBody>>();
        _ = Task.Run(async () =>
        {
            await foreach (var message in subscription.Msgs.ReadAllAsync(_stop.Token))
            {
                if (WireCodec.Default.Decode<TBody>(message.Data!).Envelope is { } envelope)
                {
                    await channel.Writer.WriteAsync(envelope);
                }
            }
        });
        await client.PingAsync();
        return channel.Reader;
    }

    protected static CortexSettings Settings(Uri endpoint) => CortexSettings.Default with
    {
        Endpoint = endpoint.ToString(), MaxConcurrent = 1, CallCost = 1, TokenCost = 0.01, BreakerOpenFor = TimeSpan.FromSeconds(1),
    };

    protected IActorRef Gateway(CortexSettings settings, ICortexEndpoint? endpoint = null) =>
        Sys.ActorOf(CortexGatewayActor.Props(settings, Bridge, Ledger, Dev, endpoint ?? OpenAiCortexEndpoint.From(settings), "spec"));

    /// <summary>Until the gateway's subscription is live: a body that is no cortex_request is answered <c>rejected</c> by the bridge, without a call.</summary>
    protected async Task ListeningAsync()
    {
        var outside = await ClientAsync(null);
        var listening = await Eventually.TrueAsync(async () =>
        {
            try
            {
                await outside.RequestAsync<byte[], byte[]>(Dev.CortexRequest.Value, "{}"u8.ToArray(), replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(2) });
                return true;
            }
            catch (Exception e) when (e is NatsNoRespondersException or NatsNoReplyException)
            {
                return false; // not subscribed yet, or its answer slower than the try (a loaded machine): again
            }
        }, TimeSpan.FromSeconds(30));
        Assert.That(listening, Is.True, "the gateway subscribed");
    }
}
