namespace Nimmerverse.Actors.Governor;

/// <summary>
/// The hand-written baseline that reads the quiz: the world levels up when every citizen has passed
/// its latest round, so an NPC that has passed adds nothing to that by ticking, and every tick of one
/// that has not brings it nearer. An NPC that has passed its latest round at the world's level is
/// slowed (<see cref="SlowingRulePolicy"/>), which also keeps its pass standing (its next round, which it
/// could fail, comes later); every other NPC (failed, or no round yet) is served, so the cortex serves
/// the laggards first.
/// </summary>
public sealed class QuizFirstPolicy(double tickRateHz) : SlowingRulePolicy(tickRateHz)
{
    public override string Name => GovernorSettings.QuizFirst;

    /// <summary>Its latest round at the world's level found every home (<see cref="GovernorFeatures.QuizAt"/>: 1 passed, −1 failed, 0 none).</summary>
    protected override bool Slows(float[] features) => features[GovernorFeatures.QuizAt] > 0;
}
