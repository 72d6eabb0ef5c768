using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Cortex;

/// <summary>
/// What the gateway knows when it admits a request: the governor's latest allocation (each NPC's
/// LLM gate and priority), each NPC's lifeforce from its latest state, the organism's stock from
/// the ledger, and what the requests in hand may still cost. Answers, in the order of admission,
/// why a request is refused, or that it is not. The gateway actor alone uses it.
/// </summary>
public sealed class CortexAdmission(CortexSettings settings, Subjects subjects)
{
    private readonly Dictionary<int, NpcAllocation> _allocations = [];
    private readonly Dictionary<int, double> _npcLifeforce = [];
    private long _allocationEpoch = -1;
    private double _organismStock = LifeforceLedgerActor.InitialStock;

    /// <summary>The governor's word for the coming epoch; an older epoch arriving late is ignored.</summary>
    public void Allocated(AllocationBody allocation)
    {
        if (allocation.Epoch < _allocationEpoch && _allocationEpoch - allocation.Epoch < 1000)
        {
            return; // overtaken (a governor that restarted starts again from its checkpoint, far below)
        }

        _allocationEpoch = allocation.Epoch;
        _allocations.Clear();
        foreach (var npc in allocation.Npcs)
        {
            _allocations[npc.NpcId] = npc;
        }
    }

    public void NpcHolds(int npcId, double lifeforce) => _npcLifeforce[npcId] = lifeforce;

    public void OrganismHolds(double stock) => _organismStock = stock;

    /// <summary>An answered call was booked: until the ledger and the NPC's next state say so themselves.</summary>
    public void Spent(int? npcId, double amount)
    {
        _organismStock -= amount;
        if (npcId is { } payer && _npcLifeforce.ContainsKey(payer))
        {
            _npcLifeforce[payer] -= amount;
        }
    }

    /// <summary>The queue priority of a requester, 0-10, 10 most urgent: an NPC's from the governor, anyone else's from the settings.</summary>
    public int PriorityOf(int? npcId) =>
        npcId is { } id && _allocations.TryGetValue(id, out var allocation) ? allocation.LlmPriority : settings.UngovernedPriority;

    /// <summary>
    /// Why the request is refused (the first reason in the order of admission), or null when it is
    /// admitted: its reply inbox, its schema, the breaker, the NPC's gate, the queue (<paramref name="queued"/>
    /// waiting), then the lifeforce for its <paramref name="worst"/> cost beside what the requests in hand may
    /// still cost (<paramref name="held"/>: in all, and by NPC).
    /// </summary>
    public (string Reason, string Detail)? Refusal(CortexRequestBody body, string? replyTo, double worst, CortexBreaker breaker, int queued, (double All, Func<int, double> OfNpc) held)
    {
        var npcId = body.NpcId;
        if (npcId is { } inboxOf && (replyTo is null || !replyTo.StartsWith(subjects.NpcInboxPrefix(inboxOf) + ".", StringComparison.Ordinal)))
        {
            return (CortexReasons.RequesterMismatch, $"{body.Requester}'s requests are answered on its own inbox ({subjects.NpcInboxPrefix(inboxOf)}.*), not {replyTo ?? "none"}");
        }

        if (body.ResponseSchema is { } schema && !CortexSchemas.IsKnown(schema))
        {
            return (CortexReasons.UnknownSchema, $"'{(schema.Length > 64 ? schema[..64] + "…" : schema)}' is not one of {string.Join(", ", CortexSchemas.Names)}");
        }

        if (breaker.Refusing)
        {
            return (CortexReasons.CortexDown, $"the model server failed {breaker.FailuresInARow} times in a row; trying again in {breaker.OpenFor.TotalSeconds:0.#} s");
        }

        if (npcId is { } id && !(_allocations.TryGetValue(id, out var allocation) && allocation.GateOpen))
        {
            return (CortexReasons.GateClosed, _allocationEpoch < 0
                ? "no allocation from the governor yet"
                : $"the governor's allocation of epoch {_allocationEpoch} {(allocation is null ? "does not name npc " + id : "closes npc " + id + "'s LLM gate")}");
        }

        if (queued >= settings.MaxQueue)
        {
            return (CortexReasons.QueueFull, $"{queued} requests wait already (Cortex:MaxQueue {settings.MaxQueue})");
        }

        if (_organismStock - held.All < worst)
        {
            return (CortexReasons.NoLifeforce, $"the call may cost {worst:0.##} LF; the organism has {_organismStock - held.All:0.##} LF to spare");
        }

        if (npcId is { } payer)
        {
            if (!_npcLifeforce.TryGetValue(payer, out var own))
            {
                return (CortexReasons.NoLifeforce, $"no state of npc {payer} seen yet, so not what it can pay");
            }

            var spare = own - held.OfNpc(payer);
            if (spare < worst)
            {
                return (CortexReasons.NoLifeforce, $"the call may cost {worst:0.##} LF; npc {payer} has {spare:0.##} LF to spare");
            }
        }

        return null;
    }
}
