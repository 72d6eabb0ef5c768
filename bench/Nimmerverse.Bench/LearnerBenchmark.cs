using System.Diagnostics;
using Nimmerverse.Protocol;
using Nimmerverse.Brains.Learning;
using TorchSharp;

namespace Nimmerverse.Bench;

/// <summary>
/// CPU time of one brain's work per tick, in-process: choosing a move (a forward pass) and one
/// gradient step on a replay batch, per role. The baseline in the same run is the forward pass
/// alone: the ratio says what learning costs on top of acting.
/// </summary>
public static class LearnerBenchmark
{
    public static void Run(int iterations)
    {
        torch.set_num_threads(1);
        Console.WriteLine($"{iterations} calls each, one intra-op thread; CPU time per call");
        Console.WriteLine("role   | act (forward) us | learn (gradient step) us | learn / act");
        Console.WriteLine("-------|------------------|--------------------------|------------");
        foreach (var role in BrainRole.All)
        {
            using var learner = new DqnLearner(ObservationEncoder.Length, role, seed: 1, new DqnSettings(LearnAfter: 32));
            var random = new Random(1);
            var open = new[] { true, true, true, true };
            var inputs = Enumerable.Range(0, 25).Select(node =>
            {
                var input = new float[ObservationEncoder.Length];
                ObservationEncoder.Encode(new WorldObservation(0, 0, 5, 5, node, [1, 2], "x", ["N", "S", "E", "W"], [], 0, false, false, false, 0, false, 5, 0), input);
                return input;
            }).ToArray();
            for (var i = 0; i < 200; i++)
            {
                learner.Learn(new Transition(inputs[random.Next(25)], random.Next(4), 0, inputs[random.Next(25)], open, false));
                learner.Act(inputs[i % 25], open, explore: false);
            }

            var act = Measure(iterations, i => learner.Act(inputs[i % 25], open, explore: false));
            var learn = Measure(iterations, i => learner.Learn(new Transition(inputs[i % 25], i % 4, 0, inputs[(i + 1) % 25], open, false)));
            Console.WriteLine($"{role.Name,-6} | {act,16:F0} | {learn,24:F0} | {learn / act,10:F1}");
        }
    }

    private static double Measure(int iterations, Action<int> call)
    {
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        for (var i = 0; i < iterations; i++)
        {
            call(i);
        }

        return (Process.GetCurrentProcess().TotalProcessorTime - before).TotalMicroseconds / iterations;
    }
}
