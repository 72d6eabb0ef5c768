using System.Collections.Concurrent;
using NATS.Client.Core;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Brains;
using Nimmerverse.Testing.Nyx;

namespace Nimmerverse.Supervisor.Tests.Brains;

/// <summary>
/// A real brain that fails errands asks the real cortex gateway, in front of a real nimmerverse-nyx,
/// which way to go; it follows the answer, and pays for it. With its LLM gate closed it is refused
/// at once and goes on by itself.
/// </summary>
[Category(TestTier.Integration)]
public sealed class BrainAsksTheCortexTests
{
    private static readonly Subjects Dev = new("dev");

    private static async Task<BrainWorld> WorldWithACortexAsync(NyxServer nyx) => await BrainWorld.StartAsync(
        ("NIMMERVERSE_ROLES__3", "cortex"),
        ("NIMMERVERSE_CORTEX__ENDPOINT", nyx.ApiBase.ToString()),
        ("NIMMERVERSE_CORTEX__CALLCOST", "0.2"),
        ("NIMMERVERSE_CORTEX__TOKENCOST", "0.001"));

    /// <summary>Every cortex answer on the bus, as the governor would see it.</summary>
    private static async Task<(ConcurrentQueue<CortexResponseBody> Answers, CancellationTokenSource Stop)> AnswersAsync(NatsConnection client)
    {
        var answers = new ConcurrentQueue<CortexResponseBody>();
        var stop = new CancellationTokenSource();
        var subscription = await client.SubscribeCoreAsync<byte[]>(Dev.CortexResponse.Value, cancellationToken: stop.Token);
        _ = Task.Run(async () =>
        {
            await foreach (var message in subscription.Msgs.ReadAllAsync(stop.Token))
            {
                if (WireCodec.Default.Decode<CortexResponseBody>(message.Data!).Envelope is { } answer)
                {
                    answers.Enqueue(answer.Body);
                }
            }
        });
        await client.PingAsync();
        return (answers, stop);
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task A_stuck_NPC_with_its_gate_open_asks_follows_the_answer_and_pays_for_it()
    {
        await using var nyx = await NyxServer.StartAsync(("NIMMERVERSE_NYX__SCHEDULING", "priority"));
        await using var world = await WorldWithACortexAsync(nyx);
        var (answers, stop) = await AnswersAsync(world.Client);
        using var stopping = stop;
        await using var watcher = await NpcStateWatcher.StartAsync(world.Client, 1);
        // Asks after every failed errand; at 10 Hz an untrained brain fails one within seconds.
        await using var brain = BrainProcess.Start(1, world.Nats.Url, 10, "--ask-cortex-after", "1");

        // The governor's word, again and again (the gateway takes the latest): NPC 1's LLM gate is open.
        var followed = await Eventually.TrueAsync(async () =>
        {
            await world.Client.PublishAsync(Dev.Allocation.Value, WireCodec.Default.Encode(Envelopes.Of(
                new MessageSource("governor@test", "governor", 2), new AllocationBody(1, [new NpcAllocation(1, 10, 50, true, 8)]))));
            return watcher.Latest is { CortexFollowed: >= 1 };
        }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(500));

        Assert.That(followed, Is.True, $"latest state {watcher.Latest}; answers {string.Join(", ", answers.Select(a => $"{a.Status} {a.Reason}"))}\n{brain}");
        var answered = answers.Where(a => a.Requester == "npc-1" && a.Status == RequestStatus.Answered).ToList();
        Assert.That(answered, Is.Not.Empty, "the gateway answered npc-1");
        Assert.Multiple(() =>
        {
            Assert.That(answered.Select(a => CortexSchemas.Problem(CortexSchemas.Direction, a.Content!)), Is.All.Null, "each answer a direction");
            Assert.That(watcher.Latest!.CortexAsked, Is.GreaterThanOrEqualTo(watcher.Latest.CortexFollowed));
        });
        var first = watcher.States.Select(s => s.State).First(s => s.CortexFollowed >= 1);
        Assert.That(await watcher.WaitForAsync(s => s.Steps >= first.Steps + 20, TimeSpan.FromSeconds(20)), Is.Not.Null, "it went on stepping");
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task With_its_gate_closed_a_stuck_NPC_is_refused_at_once_and_goes_on_alone()
    {
        await using var nyx = await NyxServer.StartAsync(("NIMMERVERSE_NYX__SCHEDULING", "priority"));
        await using var world = await WorldWithACortexAsync(nyx);
        var (answers, stop) = await AnswersAsync(world.Client);
        using var stopping = stop;
        await using var watcher = await NpcStateWatcher.StartAsync(world.Client, 2);
        await using var brain = BrainProcess.Start(2, world.Nats.Url, 10, "--ask-cortex-after", "1");

        var refused = await Eventually.TrueAsync(
            () => Task.FromResult(answers.Any(a => a.Requester == "npc-2" && a.Reason == CortexReasons.GateClosed)), TimeSpan.FromSeconds(60));
        Assert.That(refused, Is.True, $"latest state {watcher.Latest}\n{brain}");
        var then = watcher.Latest!;
        var later = await watcher.WaitForAsync(s => s.Episode >= then.Episode + 3, TimeSpan.FromSeconds(30));
        Assert.Multiple(() =>
        {
            Assert.That(later, Is.Not.Null, "it went on with its errands");
            Assert.That(later!.CortexFollowed, Is.Zero);
            Assert.That(later.CortexAsked, Is.GreaterThanOrEqualTo(1));
            Assert.That(answers.Where(a => a.Requester == "npc-2").Select(a => a.LifeforceSpent), Is.All.Zero, "a refusal costs nothing");
        });
    }
}
