using System.Text.Json;
using Nimmerverse.Protocol;

namespace Nimmerverse.Brains.Runtime;

/// <summary>
/// A stuck NPC's questions to the cortex. After <c>askAfter</c> failed errands in a row it asks,
/// in the background (the ticks never wait for it), which way to go, with the response schema
/// <c>direction</c>; an answer becomes the suggestion its next move follows, if that move is open.
/// The step is learnt from like any other. A refusal (its LLM gate closed, no lifeforce, the cortex
/// down) is logged, at most once a minute per reason, and the NPC goes on by itself. What the
/// answers cost is taken off the lifeforce it reports, as the gateway booked it.
/// </summary>
public sealed class CortexAdvice(int askAfter, int npcId, BrainLink link, BrainLog log)
{
    public const int MaxTokens = 64;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(4);
    private const int None = -1;

    private readonly Lock _spentLock = new();
    private int _failedInARow;
    private Task? _asking;
    private int _suggestion = None;
    private long _asked;
    private long _followed;
    private double _spent;

    /// <summary>Questions asked since start.</summary>
    public long Asked => Interlocked.Read(ref _asked);

    /// <summary>Suggestions followed since start.</summary>
    public long Followed => Interlocked.Read(ref _followed);

    /// <summary>Lifeforce the answers cost.</summary>
    public double Spent
    {
        get
        {
            lock (_spentLock)
            {
                return _spent;
            }
        }
    }

    /// <summary>A training errand ended; after <c>askAfter</c> failures in a row a question goes (one at a time).</summary>
    public void ErrandEnded(bool success, WorldObservation where, CancellationToken stopping)
    {
        _failedInARow = success ? 0 : _failedInARow + 1;
        if (askAfter == 0 || _failedInARow < askAfter || _asking is { IsCompleted: false })
        {
            return;
        }

        _failedInARow = 0;
        _asking = AskAsync(where, stopping);
    }

    /// <summary>The move the cortex suggested, once, if it is open here; null otherwise.</summary>
    public int? Follow(WorldObservation here)
    {
        var suggested = Interlocked.Exchange(ref _suggestion, None);
        if (suggested == None || !here.OpenMoves.Contains(Moves.All[suggested]))
        {
            return null;
        }

        Interlocked.Increment(ref _followed);
        return suggested;
    }

    private async Task AskAsync(WorldObservation where, CancellationToken stopping)
    {
        Interlocked.Increment(ref _asked);
        var question = new CortexRequestBody(
            CortexRequesters.Npc(npcId),
            [
                new CortexMessage("system", "You guide an NPC through its grid village. Say which way it should try next, and how sure you are."),
                new CortexMessage("user", $"I failed {askAfter} errands in a row. I am at node {where.Node} of a {where.Rows}x{where.Columns} village and look for: {where.Goal}. Open moves: {string.Join(", ", where.OpenMoves)}."),
            ],
            MaxTokens,
            CortexSchemas.Direction,
            (int)Deadline.TotalMilliseconds);
        try
        {
            var answer = await link.AskCortexAsync(question, Deadline + TimeSpan.FromSeconds(1), stopping).ConfigureAwait(false);
            if (answer.Status == RequestStatus.Refused)
            {
                // The governor's gate or the lifeforce said no: the organism at work, not a fault.
                log.InfoAtMostEveryMinute($"cortex:{answer.Reason}", $"the cortex refused: {answer.Reason} ({answer.Detail}); going on alone");
                return;
            }

            if (answer.Status != RequestStatus.Answered)
            {
                log.Warning($"cortex:{answer.Reason}", $"the cortex failed: {answer.Reason} ({answer.Detail}); going on alone");
                return;
            }

            var advice = JsonSerializer.Deserialize(answer.Content!, CortexSchemaJsonContext.Default.DirectionAdvice)!;
            Interlocked.Exchange(ref _suggestion, (int)advice.Direction);
            lock (_spentLock)
            {
                _spent += answer.LifeforceSpent;
            }

            log.InfoAtMostEveryMinute("cortex-advice", $"the cortex says {advice.Direction} ({advice.Confidence:F2}) for {answer.LifeforceSpent:F2} LF");
        }
        catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
        {
            log.Warning("cortex", $"no answer from the cortex ({e.GetType().Name}: {e.Message}); going on alone");
        }
    }
}
