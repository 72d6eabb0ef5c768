namespace Nimmerverse.Actors.Governor;

/// <summary>
/// The best progress per CPU-second a village's NPCs could make (those present, or a stretch of epochs' NPC-epochs), each
/// class at the rate its curve says suits it best: the price the ratio wants. The village's own past ratio is not: it
/// falls to nothing once its brains have learnt what they can though its newer brains still could buy skill, and over a
/// long run it stays inflated by an easy start. Found by Dinkelbach's iteration: at price λ each class takes the rate
/// that maximises progress − λ × CPU; the ratio that allocation makes is the next λ, and λ rises until the allocation
/// repeats (a few steps).
/// </summary>
public static class BestRatio
{
    private const int MostSteps = 32;

    /// <summary>
    /// The best ratio over <paramref name="classes"/> (each class's curve and how many NPCs it holds, or NPC-epochs: only
    /// their proportions count), never below 0; null if no class has a curve yet or the allocation it finds costs nothing.
    /// </summary>
    public static double? Of(IEnumerable<(RateCurve Curve, double Npcs)> classes) =>
        OfArms(classes.Select(c => (c.Npcs > 0 ? c.Curve.ExpectedAtEachRate() : null, c.Npcs)));

    /// <summary>The same, of each class's progress and CPU at each rate (null: no curve yet), such as a curve drawn from its posterior.</summary>
    public static double? OfArms(IEnumerable<((double Progress, double Cost)[]? Arms, double Npcs)> classes)
    {
        var known = new List<((double Progress, double Cost)[] Arms, double Npcs)>();
        foreach (var (arms, npcs) in classes)
        {
            if (npcs > 0 && arms is not null)
            {
                known.Add((arms, npcs));
            }
        }

        if (known.Count == 0)
        {
            return null;
        }

        var price = 0.0;
        for (var step = 0; step < MostSteps; step++)
        {
            double progress = 0, cost = 0;
            foreach (var (arms, npcs) in known)
            {
                var best = arms.MaxBy(a => a.Progress - (price * a.Cost));
                (progress, cost) = (progress + (npcs * best.Progress), cost + (npcs * best.Cost));
            }

            if (!(cost > 0))
            {
                return null;
            }

            var ratio = progress / cost;
            if (ratio <= price)
            {
                break; // no allocation beats this price: it is the best ratio (or, at 0, none makes progress)
            }

            price = ratio;
        }

        return price;
    }
}
