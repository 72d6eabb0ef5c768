using System.Collections.Concurrent;
using NATS.Client.Core;
using Nimmerverse.Protocol;

namespace Nimmerverse.Testing.Brains;

/// <summary>Every <c>npc_state</c> of one NPC as it arrives on NATS, with its arrival time.</summary>
public sealed class NpcStateWatcher : IAsyncDisposable
{
    private readonly ConcurrentQueue<(DateTimeOffset At, NpcStateBody State)> _states = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private NpcStateWatcher(INatsSub<byte[]> subscription)
    {
        _loop = Task.Run(async () =>
        {
            await foreach (var message in subscription.Msgs.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                if (WireCodec.Default.Decode<NpcStateBody>(message.Data ?? []).Envelope is { } envelope)
                {
                    _states.Enqueue((DateTimeOffset.UtcNow, envelope.Body));
                }
                else
                {
                    Invalid++;
                }
            }
        });
        Subscription = subscription;
    }

    private INatsSub<byte[]> Subscription { get; }

    /// <summary>States that did not decode (a brain must never publish one).</summary>
    public int Invalid { get; private set; }

    public IReadOnlyList<(DateTimeOffset At, NpcStateBody State)> States => [.. _states];

    public NpcStateBody? Latest => _states.LastOrDefault().State;

    public static async Task<NpcStateWatcher> StartAsync(NatsConnection connection, int npcId, string environment = "dev")
    {
        var subscription = await connection.SubscribeCoreAsync<byte[]>(new Subjects(environment).NpcState(npcId).Value).ConfigureAwait(false);
        await connection.PingAsync().ConfigureAwait(false);
        return new NpcStateWatcher(subscription);
    }

    /// <summary>Waits for a state that satisfies <paramref name="condition"/>; null when none came in time.</summary>
    public async Task<NpcStateBody?> WaitForAsync(Func<NpcStateBody, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        var seen = 0;
        while (DateTimeOffset.UtcNow < deadline)
        {
            var states = States;
            for (; seen < states.Count; seen++)
            {
                if (condition(states[seen].State))
                {
                    return states[seen].State;
                }
            }

            await Task.Delay(20).ConfigureAwait(false);
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Subscription.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
