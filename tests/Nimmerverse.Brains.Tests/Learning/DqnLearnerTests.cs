using Nimmerverse.Protocol;
using Nimmerverse.Brains.Learning;
using Nimmerverse.Testing;

namespace Nimmerverse.Brains.Tests.Learning;

[Category(TestTier.Unit)]
[TestFixture(BrainCommandLine.LeanEngine)]
[TestFixture(BrainCommandLine.TorchEngine)]
public sealed class DqnLearnerTests(string engine)
{
    private static WorldObservation At(int node, params string[] open) =>
        new(0, 0, 5, 5, node, [1, 2], "blue house, with a barn", open, [], 0, false, false, false, 1, false, 10, 10);

    [Test]
    public void It_only_ever_chooses_an_open_move()
    {
        using var learner = new DqnLearner(ObservationEncoder.Length, BrainRole.Small, seed: 1, engine: engine);
        var input = new float[ObservationEncoder.Length];
        ObservationEncoder.Encode(At(0, "S", "E"), input);

        var chosen = Enumerable.Range(0, 200).Select(_ => learner.Act(input, [false, true, true, false], explore: true)).Concat([learner.Act(input, [false, true, true, false], explore: false)]);

        Assert.That(chosen, Is.All.AnyOf(1, 2));
    }

    [Test]
    public void It_learns_which_move_pays_in_a_one_step_task()
    {
        // Two states, four moves; only E ends the episode with a reward. After a few hundred
        // steps the greedy choice must be E in both.
        using var learner = new DqnLearner(ObservationEncoder.Length, BrainRole.Small, seed: 3, new DqnSettings(LearningRate: 3e-3, EpsilonDecaySteps: 200), engine: engine);
        var states = new[] { At(6, "N", "S", "E", "W"), At(18, "N", "S", "E", "W") }.Select(o =>
        {
            var input = new float[ObservationEncoder.Length];
            ObservationEncoder.Encode(o, input);
            return input;
        }).ToArray();
        var open = new[] { true, true, true, true };
        var random = new Random(4);
        for (var step = 0; step < 600; step++)
        {
            var state = states[random.Next(2)];
            var move = learner.Act(state, open, explore: true);
            var paid = move == 2;
            learner.Learn(new Transition(state, move, paid ? 1f : -0.1f, states[random.Next(2)], open, Done: paid));
        }

        Assert.That(states.Select(s => learner.Act(s, open, explore: false)), Is.All.EqualTo(2));
    }

    [Test]
    public void Saved_weights_loaded_into_a_fresh_learner_choose_the_same_moves_and_resume_the_schedule()
    {
        using var trained = new DqnLearner(ObservationEncoder.Length, BrainRole.Medium, seed: 5, engine: engine);
        var open = new[] { true, true, true, true };
        var inputs = Enumerable.Range(0, 25).Select(node =>
        {
            var input = new float[ObservationEncoder.Length];
            ObservationEncoder.Encode(At(node, "N", "S", "E", "W"), input);
            return input;
        }).ToArray();
        for (var i = 0; i < 300; i++)
        {
            trained.Learn(new Transition(inputs[i % 25], i % 4, i % 7 == 0 ? 1 : 0, inputs[(i + 1) % 25], open, i % 7 == 0));
        }

        using var restored = new DqnLearner(ObservationEncoder.Length, BrainRole.Medium, seed: 99, engine: engine);
        restored.LoadWeights(trained.SaveWeights(), trained.Steps);

        Assert.That(inputs.Select(i => restored.Act(i, open, explore: false)), Is.EqualTo(inputs.Select(i => trained.Act(i, open, explore: false))));
        Assert.That(restored.Epsilon, Is.EqualTo(trained.Epsilon));
        Assert.That(restored.Format, Is.EqualTo(trained.Format).And.EqualTo($"torchsharp-dqn/{ObservationEncoder.Length}x128x128x4"));
    }
}
