using Nimmerverse.Actors.Governor;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.Governor;

[Category(TestTier.Unit)]
public sealed class AllocationPlannerTests
{
    internal static GovernorSettings Settings(double budget = 100, int gateHold = 5) =>
        new() { Policy = GovernorSettings.EqualShare, HostCpuBudgetPercent = budget, GateHoldEpochs = gateHold };

    /// <summary>The village the specs govern: 25 citizens at 5 Hz, 256 MiB and 64 tasks each.</summary>
    internal static readonly GovernedNpcs Village = new(25, 5, 256L << 20, 64);

    [Test]
    public void Wanted_values_are_clamped_to_the_protocols_ranges()
    {
        var planner = new AllocationPlanner(Settings());

        var planned = planner.Limit(new NpcAllocation(1, 50, 0.5, false, 99), previous: null);

        Assert.That(planned, Is.EqualTo(new NpcAllocation(1, 20, 5, false, 10)));
        Assert.That(planner.Limit(new NpcAllocation(1, double.NaN, double.PositiveInfinity, false, -3), null), Is.EqualTo(new NpcAllocation(1, 1, 5, false, 0)));
    }

    [Test]
    public void Each_epoch_moves_a_rate_and_a_quota_at_most_a_step()
    {
        var planner = new AllocationPlanner(Settings());
        var before = new NpcAllocation(1, 5, 25, false, 5);

        Assert.That(planner.Limit(new NpcAllocation(1, 20, 100, false, 10), before), Is.EqualTo(new NpcAllocation(1, 7, 35, false, 7)));
        Assert.That(planner.Limit(new NpcAllocation(1, 1, 5, false, 0), before), Is.EqualTo(new NpcAllocation(1, 3, 15, false, 3)));
    }

    [Test]
    public void A_gate_holds_for_the_hold_time_before_it_may_flip_again()
    {
        var planner = new AllocationPlanner(Settings(gateHold: 3));
        var current = new NpcAllocation(1, 5, 25, false, 5);
        var states = new List<bool>();
        for (var epoch = 0; epoch < 10; epoch++)
        {
            // A policy that would flip the gate every epoch.
            current = planner.Limit(current with { GateOpen = !current.GateOpen }, current);
            states.Add(current.GateOpen);
        }

        Assert.That(states, Is.EqualTo(new[] { false, false, false, true, true, true, true, false, false, false }));
    }

    [Test]
    public void Quotas_over_the_budget_are_scaled_together_and_none_goes_below_the_minimum()
    {
        NpcAllocation[] host = [new(0, 5, 100, false, 5), new(1, 5, 60, false, 5), new(2, 5, 6, false, 5), new(3, 5, 34, false, 5)];

        var (fitted, overcommitted) = AllocationPlanner.FitToBudget(host, 100);

        Assert.That(overcommitted, Is.False);
        Assert.That(fitted.Sum(a => a.CpuQuotaPercent), Is.LessThanOrEqualTo(100).And.GreaterThan(99));
        Assert.That(fitted[2].CpuQuotaPercent, Is.EqualTo(5), "pinned at the minimum");
        Assert.That(fitted[0].CpuQuotaPercent / fitted[1].CpuQuotaPercent, Is.EqualTo(100.0 / 60).Within(0.01), "the others keep their proportions");
        Assert.That(AllocationPlanner.FitToBudget(host, 500).Allocations, Is.EqualTo(host), "within the budget nothing changes");
    }

    [Test]
    public void A_host_that_cannot_give_even_the_minimum_says_so()
    {
        var host = Enumerable.Range(0, 30).Select(i => new NpcAllocation(i, 5, 50, false, 5)).ToList();

        var (fitted, overcommitted) = AllocationPlanner.FitToBudget(host, 100);

        Assert.That(overcommitted, Is.True);
        Assert.That(fitted.Select(a => a.CpuQuotaPercent), Is.All.EqualTo(5));
    }
}
