namespace Nimmerverse.Actors.Governor;

/// <summary>
/// What a CPU-second must buy: the village's own progress per CPU-second, smoothed over about
/// 1 / <see cref="Smoothing"/> epochs. A learner rewards an NPC's epoch with its progress less its
/// CPU at this price, so that what beats the village's own average is worth doing (Dinkelbach's way
/// to a ratio: maximising progress − price × cost at the best ratio's price maximises the ratio).
/// </summary>
public sealed class VillagePrice
{
    /// <summary>How fast the price follows the village (about 50 epochs).</summary>
    public const double Smoothing = 0.02;

    private (double Progress, double Cost)? _village;

    /// <summary>
    /// The price; 0 until an epoch has cost something, and never below 0 (a village losing skill, as a fresh
    /// or churning one can for a while, must not make spending CPU look like a gain).
    /// </summary>
    public double Value => _village is { Cost: > 0 } v ? Math.Max(v.Progress / v.Cost, 0) : 0;

    /// <summary>Follows one epoch of the village; an epoch that cost nothing says nothing of the price.</summary>
    public void Follow(double progress, double cost)
    {
        if (cost > 0)
        {
            _village = _village is { } v
                ? (v.Progress + (Smoothing * (progress - v.Progress)), v.Cost + (Smoothing * (cost - v.Cost)))
                : (progress, cost);
        }
    }

    /// <summary>Starts the price at a village's mean epoch (a warm start from recorded ones, or a checkpoint).</summary>
    public void Start(double progress, double cost) => _village = (progress, cost);

    /// <summary>The smoothed epoch behind the price, for a checkpoint; null before the first.</summary>
    public (double Progress, double Cost)? Village => _village;
}
