namespace Nimmerverse.Actors.Governor;

/// <summary>
/// What a CPU-second has bought the village: its progress per CPU-second lately (smoothed over about
/// 1 / <see cref="Smoothing"/> epochs) and over the long run (about 1 / (1 − <see cref="LongRunForgetting"/>) epochs).
/// A learner rewards an NPC's epoch with its progress less its CPU at a price, so that what beats the price is worth
/// doing (Dinkelbach's way to a ratio: maximising progress − price × cost at the best ratio's price maximises the ratio).
/// The actor-critic's price is the recent ratio; the bandit's is the best its recent stretch of epochs could have made
/// (<see cref="BestRatio"/>), and the long run tells it when the NPCs present have next to nothing left to buy (<see cref="ClassBanditPolicy.Price"/>).
/// </summary>
public sealed class VillagePrice
{
    /// <summary>How fast the price follows the village (about 50 epochs).</summary>
    public const double Smoothing = 0.02;

    /// <summary>What each epoch leaves of the long run's older epochs: about the last 10,000 count (hours at the default epoch).</summary>
    public const double LongRunForgetting = 0.9999;

    private (double Progress, double Cost)? _village;
    private (double Progress, double Cost) _longRun;

    /// <summary>
    /// The recent ratio; 0 until an epoch has cost something, and never below 0 (a village losing skill, as a fresh
    /// or churning one can for a while, must not make spending CPU look like a gain).
    /// </summary>
    public double Value => Math.Max(_village is { } v ? Ratio(v) : 0, 0);

    /// <summary>The long run's ratio, never below 0.</summary>
    public double LongRunValue => Math.Max(Ratio(_longRun), 0);

    /// <summary>Follows one epoch of the village; an epoch that cost nothing says nothing of the price.</summary>
    public void Follow(double progress, double cost)
    {
        if (cost > 0)
        {
            _village = _village is { } v
                ? (v.Progress + (Smoothing * (progress - v.Progress)), v.Cost + (Smoothing * (cost - v.Cost)))
                : (progress, cost);
            _longRun = ((LongRunForgetting * _longRun.Progress) + progress, (LongRunForgetting * _longRun.Cost) + cost);
        }
    }

    /// <summary>
    /// Starts the price at a village's mean epoch (a warm start from recorded ones, or a checkpoint), and the long run at
    /// <paramref name="longRun"/> (a checkpoint's <see cref="LongRun"/>), else at that one epoch.
    /// </summary>
    public void Start(double progress, double cost, (double Progress, double Cost)? longRun = null) =>
        (_village, _longRun) = ((progress, cost), longRun ?? (progress, cost));

    /// <summary>
    /// Starts the price at a recorded village's mean epoch (an offline start), over the outcomes it could know: an export
    /// cannot hold a non-finite one, a caller of the API could. Returns the steps it priced, those with a finite outcome;
    /// null, and nothing started, where they cost nothing.
    /// </summary>
    public IReadOnlyList<TrailStep>? StartFrom(IEnumerable<IReadOnlyList<TrailStep>> trajectories)
    {
        var steps = trajectories.SelectMany(t => t).Where(s => double.IsFinite(s.Outcome.Progress) && double.IsFinite(s.Outcome.Cost)).ToList();
        if (steps.Count == 0 || steps.Sum(s => s.Outcome.Cost) <= 0)
        {
            return null;
        }

        Start(steps.Average(s => s.Outcome.Progress), steps.Average(s => s.Outcome.Cost));
        return steps;
    }

    /// <summary>The smoothed epoch behind the recent price, for a checkpoint; null before the first.</summary>
    public (double Progress, double Cost)? Village => _village;

    /// <summary>The long run's progress and CPU-seconds, each epoch counted <see cref="LongRunForgetting"/> less per epoch since, for a checkpoint.</summary>
    public (double Progress, double Cost) LongRun => _longRun;

    private static double Ratio((double Progress, double Cost) epochs) => epochs.Cost > 0 ? epochs.Progress / epochs.Cost : 0;
}
