namespace Nimmerverse.Actors.Governor;

/// <summary>The bandit's offline start: holds cut from recorded decision trails, booked before its first online epoch.</summary>
public sealed partial class ClassBanditPolicy
{
    /// <summary>Passes of the classes' worth over the recorded holds: 0.74 to the 50th power leaves nothing of the start.</summary>
    private const int WorthPasses = 50;

    /// <summary>
    /// The offline start: each NPC's recorded epochs (each trajectory one NPC's consecutive epochs, under whatever
    /// policy decided them) are cut into holds of <see cref="DefaultHoldEpochs"/>, and each hold that has an epoch after
    /// it, where the class it led to shows, is booked as a pull: at its mean recorded rate (a curve takes any rate,
    /// <see cref="RateCurve.BookAt"/>; an exploring class's, to no curve and no gate: neither is learnt), paid its outcomes after the settling epochs and what the class it led to is
    /// worth beyond its own (cut at the hold's length even while exploring: the recorded
    /// policy changed its rates when it would, and a longer cut would average more of them into one). The worth of each role and stage is what the recorded holds make it: their own epochs
    /// and, discounted, the worth of the roles and stages they led to, iterated until it holds still. A hold whose
    /// gate changed books no gate arm. The price starts at the recorded village's own, and its horizon holds the recorded
    /// NPC-epochs, each as one, fading from the first online epoch as the booked holds do. Returns the holds booked.
    /// </summary>
    public int WarmStart(IReadOnlyList<IReadOnlyList<TrailStep>> trajectories)
    {
        var holds = trajectories.SelectMany(RecordedHolds).ToList();
        if (holds.Count == 0)
        {
            return 0;
        }

        _price.StartFrom(trajectories);
        foreach (var step in trajectories.SelectMany(t => t))
        {
            _occupancy[NpcClass.Of(step.Inputs).Index]++;
        }

        var continuing = ContinuingAfter(_holdEpochs);
        var worth = RecordedWorth(holds, continuing);
        foreach (var hold in holds)
        {
            var (was, later) = (worth[hold.From.StagedIndex] ?? (0, 0), worth[hold.CameTo.StagedIndex] ?? worth[hold.From.StagedIndex] ?? (0, 0));
            var (progress, cost) = (hold.Progress + (continuing * (later.Progress - was.Progress)), hold.Cost + (continuing * (later.Cost - was.Cost)));
            BookRate(hold.From, hold.RateHz, progress, cost);
            _own[hold.From.Index].BookAt(hold.RateHz, hold.Progress, hold.Cost);
            if (hold.Gate is { } gate)
            {
                _gates[hold.From.Index]?.Book(gate ? 1 : 0, progress, cost);
            }

            ValueOf(hold.From).Book(0, hold.Progress + (continuing * later.Progress), hold.Cost + (continuing * later.Cost));
        }

        return holds.Count;
    }

    /// <summary>A trajectory cut into whole holds, each with the class of the epoch after it; the rest of it is left.</summary>
    private IEnumerable<RecordedHold> RecordedHolds(IReadOnlyList<TrailStep> trajectory)
    {
        for (var start = 0; start + _holdEpochs < trajectory.Count; start += _holdEpochs)
        {
            var held = trajectory.Skip(start).Take(_holdEpochs).ToList();
            var paid = held.Skip(_settleEpochs).Select(s => s.Outcome).ToList();
            if (paid.Any(o => !double.IsFinite(o.Progress) || !double.IsFinite(o.Cost)))
            {
                continue;
            }

            var gates = held.Select(s => s.Allocation.GateOpen).Distinct().ToList();
            yield return new RecordedHold(
                NpcClass.Of(held[0].Inputs), NpcClass.Of(trajectory[start + _holdEpochs].Inputs), held.Average(s => s.Allocation.TickRateHz),
                gates.Count == 1 ? gates[0] : null, paid.Average(o => o.Progress), paid.Average(o => o.Cost));
        }
    }

    /// <summary>Each role and stage's worth per epoch under the recorded holds (progress, CPU; <see cref="ValueOf"/>); null where no hold started.</summary>
    private static (double Progress, double Cost)?[] RecordedWorth(List<RecordedHold> holds, double continuing)
    {
        var worth = new (double Progress, double Cost)?[NpcClass.StagedCount];
        for (var pass = 0; pass < WorthPasses; pass++)
        {
            var next = new (double Progress, double Cost)?[NpcClass.StagedCount];
            foreach (var inStage in holds.GroupBy(h => h.From.StagedIndex))
            {
                var own = worth[inStage.Key] ?? (0, 0);
                next[inStage.Key] = (
                    inStage.Average(h => h.Progress + (continuing * (worth[h.CameTo.StagedIndex] ?? own).Progress)),
                    inStage.Average(h => h.Cost + (continuing * (worth[h.CameTo.StagedIndex] ?? own).Cost)));
            }

            worth = next;
        }

        return worth;
    }

    /// <summary>A hold cut from a trail: its class, the class it led to, its mean rate, its gate if it held one, and its paid epochs' means.</summary>
    private readonly record struct RecordedHold(NpcClass From, NpcClass CameTo, double RateHz, bool? Gate, double Progress, double Cost);
}
