using System.Diagnostics;
using Nimmerverse.Protocol;
using Nimmerverse.Brains.Learning;

namespace Nimmerverse.Bench;

/// <summary>
/// CPU time of one brain's work per tick, in-process: choosing a move (a forward pass) and one
/// gradient step on a replay batch, per role and engine. The baseline in the same run is the
/// TorchSharp engine: the ratios say how much less CPU the lean engine spends on each.
/// </summary>
public static class LearnerBenchmark
{
    public static void Run(int iterations)
    {
        Console.WriteLine($"{iterations} calls each, one thread (LibTorch: one intra-op thread); CPU time per call, learn at every step");
        Console.WriteLine("role   | torch act us | lean act us | torch / lean | torch learn us | lean learn us | torch / lean");
        Console.WriteLine("-------|--------------|-------------|--------------|----------------|---------------|-------------");
        foreach (var role in BrainRole.All)
        {
            var torch = Measure(role, BrainCommandLine.TorchEngine, iterations);
            var lean = Measure(role, BrainCommandLine.LeanEngine, iterations);
            Console.WriteLine($"{role.Name,-6} | {torch.Act,12:F1} | {lean.Act,11:F1} | {torch.Act / lean.Act,12:F1} | {torch.Learn,14:F0} | {lean.Learn,13:F0} | {torch.Learn / lean.Learn,12:F1}");
        }
    }

    private static (double Act, double Learn) Measure(BrainRole role, string engine, int iterations)
    {
        using var learner = new DqnLearner(ObservationEncoder.Length, role, seed: 1, new DqnSettings(LearnAfter: 32, TrainEvery: 1), engine);
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

        var act = CpuPerCall(iterations, i => learner.Act(inputs[i % 25], open, explore: false));
        var learn = CpuPerCall(iterations, i => learner.Learn(new Transition(inputs[i % 25], i % 4, 0, inputs[(i + 1) % 25], open, false)));
        return (act, learn);
    }

    private static double CpuPerCall(int iterations, Action<int> call)
    {
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        for (var i = 0; i < iterations; i++)
        {
            call(i);
        }

        return (Process.GetCurrentProcess().TotalProcessorTime - before).TotalMicroseconds / iterations;
    }
}
