using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Nimmerverse.Actors.Cells.MathCell;
using Nimmerverse.Actors.Governor;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Actors.Npc;
using Nimmerverse.Actors.Thalamus;
using Nimmerverse.Actors.World;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Supervisor.Hosting;
using Nimmerverse.Testing;

namespace Nimmerverse.Supervisor.Tests.Hosting;

/// <summary>
/// The daemon's own capability extensions, composed in a host with in-memory fakes for what
/// they get from outside (the NATS bridge, PostgreSQL's stores): no server is needed.
/// </summary>
[Category(TestTier.Unit)]
public sealed class CompositionTests
{
    /// <summary>Stands in for the NATS bridge: keeps every message the capabilities send it.</summary>
    private sealed class RecordingBridge : ReceiveActor
    {
        public RecordingBridge(ConcurrentQueue<object> seen) => ReceiveAny(seen.Enqueue);
    }

    private sealed class InMemoryStores : IDecisionTrails, IGovernorCheckpoints, ICheckpointStore
    {
        public ConcurrentQueue<DecisionTrail> Trails { get; } = new();

        public void Record(DecisionTrail trail) => Trails.Enqueue(trail);

        public Task SaveAsync(Guid messageId, long epoch, string policy, byte[] weights, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<(long Epoch, byte[] Weights)?> LatestAsync(string policy, CancellationToken cancellationToken) => Task.FromResult<(long, byte[])?>(null);

        public Task SaveAsync(NpcCheckpointBody checkpoint, Guid messageId, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<NpcCheckpointBody?> LatestAsync(int npcId, long? olderThanSequence, CancellationToken cancellationToken) => Task.FromResult<NpcCheckpointBody?>(null);
    }

    private static IHost Compose(NimmerverseOptions options, ConcurrentQueue<object> bridgeSaw)
    {
        var stores = new InMemoryStores();
        return new HostBuilder()
            .ConfigureServices(services => services
                .AddSingleton<IDecisionTrails>(stores)
                .AddSingleton<IGovernorCheckpoints>(stores)
                .AddSingleton<ICheckpointStore>(stores)
                .AddAkka(AkkaOptions.SystemName, akka => akka
                    .ConfigureNimmerverseCluster(options)
                    .WithActors((system, registry) =>
                    {
                        registry.Register<NatsBridgeActor>(system.ActorOf(Props.Create(() => new RecordingBridge(bridgeSaw)), "nats-bridge"));
                        registry.Register<LifeforceLedgerActor>(system.ActorOf(LifeforceLedgerActor.Props(), "lifeforce"));
                    })
                    .WithNervousSystem(options)
                    .WithWorld(options)
                    .WithNpcHost(options)
                    .WithGovernor(options)))
            .Build();
    }

    private static NimmerverseOptions Options(params string[] roles) => new()
    {
        HostName = "alpha",
        Roles = roles,
        Akka = new AkkaOptions { Port = 0 },
        Npc = new NpcHostSettings { Population = 0 },
    };

    [Test]
    public async Task Each_capability_starts_the_actors_of_its_roles_only()
    {
        using var host = Compose(Options(ClusterRoles.Thalamus, ClusterRoles.Cells), new ConcurrentQueue<object>());
        await host.StartAsync();
        var registry = host.Services.GetRequiredService<ActorRegistry>();

        Assert.That(registry.TryGet<ThalamusActor>(out _), Is.True);
        Assert.That(registry.TryGet<MathCellActor>(out _), Is.True);
        Assert.That(registry.TryGet<CheckpointKeeperActor>(out _), Is.True, "every member answers checkpoint requests");
        Assert.That(registry.TryGet<GridWorldActor>(out _), Is.False, "no world role");
        Assert.That(registry.TryGet<GovernorActor>(out _), Is.False, "no governor role");
        Assert.That(registry.TryGet<NpcHostActor>(out _), Is.False, "no npc-host role");
        await host.StopAsync();
    }

    [Test]
    public async Task The_governor_runs_as_a_cluster_singleton_and_is_found_through_its_proxy()
    {
        var bridgeSaw = new ConcurrentQueue<object>();
        using var host = Compose(Options(ClusterRoles.Governor), bridgeSaw);
        await host.StartAsync();

        var governor = await host.Services.GetRequiredService<IRequiredActor<GovernorActor>>().GetAsync();

        Assert.That(governor.Path.Name, Does.EndWith("proxy"), governor.Path.ToString());
        // The singleton itself starts once this member is up, with the bridge it found in the registry.
        var subscribed = await Eventually.TrueAsync(() => Task.FromResult(bridgeSaw.OfType<NatsBridgeMessages.Subscribe<NpcStateBody>>().Any(s => s.Pattern.Value == "dev.npc.*.state")), TimeSpan.FromSeconds(20));
        Assert.That(subscribed, Is.True, "the governor subscribed to the NPC states through the registered bridge");
        await host.StopAsync();
    }
}
