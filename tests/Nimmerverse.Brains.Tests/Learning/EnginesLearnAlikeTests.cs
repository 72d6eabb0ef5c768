using Nimmerverse.Actors.World;
using Nimmerverse.Brains.Learning;
using Nimmerverse.Brains.Runtime;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;

namespace Nimmerverse.Brains.Tests.Learning;

/// <summary>
/// The lean engine learns as the TorchSharp engine does: one brain, one seed, the grid world's
/// real rules in-process (no ticks, no bus), and the steps each needs until 90 % of its last
/// 50 episodes find home. The same seed gives both the same initial weights and the same replay
/// samples, so they differ only by float rounding, which can flip a near-tie and send the two
/// lives apart; the target is within 10 %.
/// </summary>
[Category(TestTier.Unit)]
public sealed class EnginesLearnAlikeTests
{
    private const int StepLimit = 30_000;
    private static readonly GridWorldSettings Arena = GridWorldSettings.Default with { Citizens = 4, MaxLevel = 0, OwnHomeShare = 1, QuizEvery = 1_000_000, Seed = 7 };

    [TestCase(11)]
    [TestCase(12)]
    public void Both_engines_need_about_as_many_steps_to_find_home_nine_times_in_ten(int seed)
    {
        var torch = StepsToNinetyPercent(BrainCommandLine.TorchEngine, seed);
        var lean = StepsToNinetyPercent(BrainCommandLine.LeanEngine, seed);
        TestContext.Out.WriteLine($"seed {seed}: torch {torch} steps, lean {lean} steps, lean / torch {(double)lean / torch:F3}");

        Assert.That(torch, Is.LessThan(StepLimit), "the TorchSharp engine learns");
        Assert.That(lean, Is.LessThan(StepLimit), "the lean engine learns");
        Assert.That((double)lean / torch, Is.InRange(0.9, 1.1));
    }

    private static int StepsToNinetyPercent(string engine, int seed)
    {
        var world = new GridWorld(Arena);
        using var learner = new DqnLearner(ObservationEncoder.Length, BrainRole.Medium, seed, engine: engine);
        var stats = new EpisodeStats();
        var current = world.Step(0, null).Observation!;
        var input = new float[ObservationEncoder.Length];
        ObservationEncoder.Encode(current, input);
        for (var step = 1; step <= StepLimit; step++)
        {
            var move = learner.Act(input, ObservationEncoder.OpenMask(current), explore: true);
            var next = world.Step(0, move).Observation!;
            var nextInput = new float[ObservationEncoder.Length];
            ObservationEncoder.Encode(next, nextInput);
            learner.Learn(new Transition(input, move, (float)next.Reward, nextInput, ObservationEncoder.OpenMask(next), next.Done));
            if (next.Done)
            {
                stats.EpisodeEnded(next.Success);
                if (stats.WindowCount >= EpisodeStats.Window && stats.SuccessRate >= 0.9)
                {
                    return step;
                }
            }

            (current, input) = (next, nextInput);
        }

        return StepLimit;
    }
}
