using Nimmerverse.Actors.Governor;

namespace Nimmerverse.Actors.Tests.Governor;

/// <summary>A rate curve read as the tests ask it, one arm at a time: the policy reads all its arms at once.</summary>
internal static class RateCurveReadings
{
    /// <summary>The curves' payoff at <paramref name="arm"/> and <paramref name="price"/> (their posterior means); 0 before any pull.</summary>
    public static double Mean(this RateCurve curve, int arm, double price) =>
        curve.ExpectedAtEachRate() is { } expected ? expected[arm].Progress - (price * expected[arm].Cost) : 0;

    /// <summary>
    /// The curve's Thompson draw at a fixed price (the policy draws the price with the curve): an untried arm while the
    /// curve needs pulls, else the best arm at <paramref name="price"/> on a progress curve drawn from its posterior.
    /// </summary>
    public static int Draw(this RateCurve curve, Random random, double price) =>
        curve.Untried(random) ?? RateCurve.Best(curve.DrawnAtEachRate(RateCurve.PosteriorDraw.Next(random))!, price);
}
