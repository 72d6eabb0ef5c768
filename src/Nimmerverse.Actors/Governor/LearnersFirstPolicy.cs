namespace Nimmerverse.Actors.Governor;

/// <summary>
/// The hand-written baseline that reads the stage (<see cref="NpcClass"/>): a skilled brain (past exploring, reaching its
/// goals at least half the time) is slowed (<see cref="SlowingRulePolicy"/>), whatever its quiz says; a brain still
/// exploring or learning is served. Why: in the benchmark's matured villages a skilled brain's progress followed its CPU,
/// not its rate (about 0.05 of a level per CPU-second at 1 Hz and at 20 Hz alike), while an exploring newcomer made three
/// times that and more, so the village's ratio is mostly the share of its CPU that goes to the brains still learning
/// (docs/learning.md).
/// </summary>
public sealed class LearnersFirstPolicy(double tickRateHz) : SlowingRulePolicy(tickRateHz)
{
    public override string Name => GovernorSettings.LearnersFirst;

    protected override bool Slows(float[] features) => NpcClass.Of(features).Skilled;
}
