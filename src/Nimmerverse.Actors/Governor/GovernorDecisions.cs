using System.Diagnostics;
using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Governor;

/// <summary>
/// The governor's thinking without its messaging: what it knows of the NPCs, its policy, and the
/// last allocation of each. One <see cref="RunEpoch"/> is the whole decision of an epoch: the
/// present NPCs' features and the reward of the epoch that ended, the policy's choice, then the
/// planner's rules (clamp, steps, gate hold) and each host's budget. The actor actuates what it
/// returns and only then calls <see cref="Learn"/>: the policy's lesson from the epoch that ended
/// changes the next decision, not this one, so it need not delay this one's actuation. The
/// benchmark times both.
/// </summary>
public sealed class GovernorDecisions(GovernorSettings settings, int citizens, IGovernorPolicy policy, string defaultHost) : IDisposable
{
    private readonly AllocationPlanner _planner = new(settings);
    private readonly Dictionary<int, NpcAllocation> _allocations = [];
    /// <summary>The last decision, whose reward comes with the next epoch's states.</summary>
    private PolicyDecision? _awaitingReward;
    /// <summary>A decision whose reward is known, for <see cref="Learn"/>.</summary>
    private (PolicyDecision Decision, EpochYield Outcome)? _lesson;

    /// <summary>One NPC's decision: its features, its allocation before (null the first time) and now, and what the one before yielded (null if unknown).</summary>
    public sealed record Decision(int NpcId, string Host, float[] Inputs, NpcAllocation? Before, NpcAllocation After, NpcYield? Outcome);

    /// <param name="Epoch">The epoch's number, from 1.</param>
    /// <param name="Reward">The village's learning progress per CPU-second over the epoch that ended (<see cref="EpochYield.Ratio"/>).</param>
    /// <param name="Decisions">One per present NPC, by NPC id.</param>
    /// <param name="OvercommittedHosts">Hosts whose NPCs exceed the budget even at the minimum quota.</param>
    /// <param name="LatencyMs">Time the epoch's decision took (features, forward pass, planning).</param>
    public sealed record Outcome(long Epoch, double Reward, IReadOnlyList<Decision> Decisions, IReadOnlyList<string> OvercommittedHosts, double LatencyMs);

    public NpcObservations Observations { get; } = new(citizens, defaultHost);

    public IGovernorPolicy Policy => policy;

    public long Epoch { get; private set; }

    /// <summary>The last allocation of each present NPC.</summary>
    public IReadOnlyDictionary<int, NpcAllocation> Allocations => _allocations;

    /// <summary>
    /// A new brain process for the NPC (spawned, restarted after a crash, adopted by a new
    /// supervisor) starts with the configured tick rate and limits, not the governor's: its last
    /// allocation is forgotten, so the next epoch decides it afresh and actuates all of it. Its
    /// counters start again too, so its next epoch measures nothing, and the policy no longer
    /// credits the old process's decisions with what the new one does.
    /// </summary>
    public void Forget(int npcId)
    {
        _allocations.Remove(npcId);
        Observations.Restarted(npcId);
        policy.Forget(npcId);
    }

    public Outcome RunEpoch(DateTimeOffset now)
    {
        var started = Stopwatch.GetTimestamp();
        var present = Observations.Present(now, settings.SilenceTimeout);
        var presentIds = present.Select(p => p.NpcId).ToHashSet();
        foreach (var absent in _allocations.Keys.Where(id => !presentIds.Contains(id)).ToList())
        {
            _allocations.Remove(absent);
        }

        var view = GovernorFeatures.Build(present, _allocations, settings.HostCpuBudgetPercent, now, settings.LifeforceWeight, Observations.CortexQueueDepth);
        if (_awaitingReward is { } rewarded)
        {
            _lesson?.Decision.Dispose(); // never learnt from: Learn was not called after the last epoch
            _lesson = (rewarded, view.Yield);
            _awaitingReward = null;
        }

        Epoch++;
        if (present.Count == 0)
        {
            return new Outcome(Epoch, view.Yield.Ratio, [], [], Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        // Each host's NPCs (by index into present): their fair shares, then their budget.
        var hosts = Enumerable.Range(0, present.Count).GroupBy(i => present[i].Observation.Host).ToList();
        var fairShares = new double[present.Count];
        foreach (var host in hosts)
        {
            foreach (var i in host)
            {
                fairShares[i] = settings.HostCpuBudgetPercent / host.Count();
            }
        }

        _awaitingReward = policy.Decide([.. present.Select(p => p.NpcId)], view.Features, fairShares);
        var wanted = _awaitingReward.Allocations;
        var planned = new Dictionary<int, NpcAllocation>(present.Count);
        var overcommitted = new List<string>();
        foreach (var host in hosts)
        {
            var limited = host.Select(i => _planner.Limit(wanted[i], _allocations.GetValueOrDefault(wanted[i].NpcId))).ToList();
            var (fitted, overrun) = AllocationPlanner.FitToBudget(limited, settings.HostCpuBudgetPercent);
            if (overrun)
            {
                overcommitted.Add(host.Key);
            }

            foreach (var allocation in fitted)
            {
                planned[allocation.NpcId] = allocation;
            }
        }

        var decisions = present.Select((p, i) => new Decision(p.NpcId, p.Observation.Host, view.Features[i], _allocations.GetValueOrDefault(p.NpcId), planned[p.NpcId], view.Yield.Npcs.TryGetValue(p.NpcId, out var y) ? y : null)).ToList();
        foreach (var decision in decisions)
        {
            _allocations[decision.NpcId] = decision.After;
        }

        return new Outcome(Epoch, view.Yield.Ratio, decisions, overcommitted, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>Frees the policy and the decisions it still held for learning.</summary>
    public void Dispose()
    {
        _awaitingReward?.Dispose();
        _lesson?.Decision.Dispose();
        policy.Dispose();
    }

    /// <summary>The policy learns from the last decision whose reward is known; returns the milliseconds it took.</summary>
    public double Learn()
    {
        if (_lesson is not { } lesson)
        {
            return 0;
        }

        var started = Stopwatch.GetTimestamp();
        _lesson = null;
        using (lesson.Decision)
        {
            policy.Learn(lesson.Decision, lesson.Outcome);
        }

        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }
}
