namespace Nimmerverse.Actors.Governor;

/// <summary>
/// How the learned actor's outputs, in logit space, become decisions: a sigmoid stretched so that
/// ±<see cref="MaxLogit"/> reach the ends of each range (1 and 20 Hz for the tick rate), since a
/// village's best rate may be an end (20 Hz is, for a young village).
/// </summary>
internal static class ActorRanges
{
    /// <summary>How far from the middle the actor's means may go, in logit units: there they reach the ends of their ranges.</summary>
    public const float MaxLogit = 3;

    /// <summary>The sigmoid at -<see cref="MaxLogit"/>: what <see cref="ShareOf"/> stretches to 0.</summary>
    private static readonly float EdgeShare = Sigmoid(-MaxLogit);

    /// <summary>Where a mean or a draw falls in its range, 0..1; beyond ±<see cref="MaxLogit"/>, the end.</summary>
    public static float ShareOf(float logit) => Math.Clamp((Sigmoid(logit) - EdgeShare) / (1 - (2 * EdgeShare)), 0, 1);

    /// <summary>The logit whose <see cref="ShareOf"/> is <paramref name="share"/> (within ±<see cref="MaxLogit"/>).</summary>
    public static float LogitOfShare(double share) => Logit(EdgeShare + (Math.Clamp(share, 0, 1) * (1 - (2 * EdgeShare))));

    public static float Sigmoid(float logit) => 1 / (1 + MathF.Exp(-logit));

    public static float Logit(double p)
    {
        var q = Math.Clamp(p, 1e-3, 1 - 1e-3);
        return (float)Math.Log(q / (1 - q));
    }
}
