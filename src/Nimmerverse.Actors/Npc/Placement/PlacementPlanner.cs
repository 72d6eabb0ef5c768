namespace Nimmerverse.Actors.Npc.Placement;

/// <summary>
/// What the placement knows of one NPC host: its capacity (<c>Npc:Population</c>, the most brains it runs), the NPCs
/// whose brains it says run there (stopping ones too), and whether it is a live member. A host that left or was
/// downed stays in the picture, not live, while its brains may still be running (until its fence passes).
/// </summary>
public sealed record PlacementHost(string Name, int Capacity, IReadOnlySet<int> Running, bool Live);

/// <summary>
/// One round's answer: where each NPC belongs (its target), which NPCs each live host runs now (its run set), the
/// NPCs no host has room for, and NPCs found running on two live hosts (each then stopped where it does not belong).
/// </summary>
public sealed record PlacementPlan(
    IReadOnlyDictionary<int, string> Targets,
    IReadOnlyDictionary<string, IReadOnlySet<int>> RunSets,
    IReadOnlyList<int> Unplaced,
    IReadOnlyList<int> Twins);

/// <summary>
/// Places the village's NPCs (ids 0..citizens-1) on the live NPC hosts; a pure function of what the hosts report, so
/// that every rule is tested without a cluster:
/// <list type="number">
/// <item>An NPC stays where it is targeted while that host lives and has room (no churn); one running on a live host
/// without a target is targeted there (a host that restarted and adopted its brains keeps them).</item>
/// <item>Unplaced NPCs go to the live host with the lowest load for its capacity.</item>
/// <item>A host that joins takes a fair share, in proportion to capacities: NPCs move one at a time per host
/// pair, at most <c>maxMoves</c> in flight, and only while the move leaves the giver at least as loaded as the
/// taker (so no NPC moves back and forth).</item>
/// <item>Stop before start: a live host's run set holds an NPC it does not run yet only when no other host, live or
/// fenced, still runs it; the host it leaves drops it from its run set and stops it (with its checkpoint) first.</item>
/// </list>
/// </summary>
public static class PlacementPlanner
{
    public static PlacementPlan Plan(int citizens, IReadOnlyList<PlacementHost> hosts, IReadOnlyDictionary<int, string> previousTargets, int maxMoves)
    {
        var live = hosts.Where(h => h.Live && h.Capacity > 0).OrderBy(h => h.Name, StringComparer.Ordinal).ToArray();
        var capacity = live.ToDictionary(h => h.Name, h => h.Capacity);
        var load = live.ToDictionary(h => h.Name, _ => 0);
        var runningOn = new Dictionary<int, List<string>>();
        foreach (var host in hosts)
        {
            foreach (var id in host.Running)
            {
                if (!runningOn.TryGetValue(id, out var on))
                {
                    runningOn[id] = on = [];
                }

                on.Add(host.Name);
            }
        }

        var targets = new Dictionary<int, string>();
        bool HasRoom(string host) => load.TryGetValue(host, out var n) && n < capacity[host];
        void Target(int id, string host)
        {
            targets[id] = host;
            load[host]++;
        }

        for (var id = 0; id < citizens; id++)
        {
            if (previousTargets.TryGetValue(id, out var host) && HasRoom(host))
            {
                Target(id, host);
            }
        }

        for (var id = 0; id < citizens; id++)
        {
            if (!targets.ContainsKey(id) && runningOn.TryGetValue(id, out var on) && on.Order(StringComparer.Ordinal).FirstOrDefault(HasRoom) is { } owner)
            {
                Target(id, owner);
            }
        }

        var unplaced = new List<int>();
        for (var id = 0; id < citizens; id++)
        {
            if (targets.ContainsKey(id))
            {
                continue;
            }

            if (live.Where(h => HasRoom(h.Name)).MinBy(h => (double)(load[h.Name] + 1) / h.Capacity)?.Name is { } host)
            {
                Target(id, host);
            }
            else
            {
                unplaced.Add(id);
            }
        }

        Rebalance(targets, load, capacity, runningOn, maxMoves);

        var runSets = live.ToDictionary(
            h => h.Name,
            h => (IReadOnlySet<int>)targets.Where(t => t.Value == h.Name && (!runningOn.TryGetValue(t.Key, out var on) || on.Contains(h.Name))).Select(t => t.Key).ToHashSet());
        var twins = runningOn.Where(r => r.Value.Count(live.Select(h => h.Name).Contains) > 1).Select(r => r.Key).Order().ToArray();
        return new PlacementPlan(targets, runSets, unplaced, twins);
    }

    /// <summary>Moves settled NPCs from the most loaded host (for its capacity) to the least, while that helps and the moves in flight allow.</summary>
    private static void Rebalance(Dictionary<int, string> targets, Dictionary<string, int> load, Dictionary<string, int> capacity, Dictionary<int, List<string>> runningOn, int maxMoves)
    {
        bool Settled(int id, string host) => runningOn.TryGetValue(id, out var on) && on.Count == 1 && on[0] == host;
        var inFlight = targets.Count(t => runningOn.TryGetValue(t.Key, out var on) && on.Any(o => o != t.Value));
        while (inFlight < maxMoves && load.Count > 1)
        {
            var giver = load.Keys.MaxBy(h => ((double)load[h] / capacity[h], h))!;
            var taker = load.Keys.Where(h => load[h] < capacity[h]).MinBy(h => ((double)load[h] / capacity[h], h));
            if (taker is null || giver == taker || (double)(load[giver] - 1) / capacity[giver] < (double)(load[taker] + 1) / capacity[taker])
            {
                return;
            }

            // The newest of the giver's settled NPCs moves: the oldest ids keep their homes.
            var id = targets.Where(t => t.Value == giver && Settled(t.Key, giver)).Select(t => t.Key).DefaultIfEmpty(-1).Max();
            if (id < 0)
            {
                return;
            }

            targets[id] = taker;
            load[giver]--;
            load[taker]++;
            inFlight++;
        }
    }
}
