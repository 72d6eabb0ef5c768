using Nimmerverse.Brains.Learning;
using Nimmerverse.Brains.Learning.Lean;
using Nimmerverse.Brains.Learning.Torch;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;

namespace Nimmerverse.Brains.Tests.Learning;

/// <summary>
/// The lean engine computes what the TorchSharp engine computes: from the same weights and the
/// same batches, the same loss, the same (clipped) gradient and the same weights after Adam's
/// steps, to float rounding (each step from the same weights); and checkpoints are byte-for-byte TorchSharp's own format.
/// </summary>
[Category(TestTier.Unit)]
public sealed class EngineEquivalenceTests
{
    private const float Tolerance = 1e-5f;
    private const float Gamma = 0.9f;

    private static IEnumerable<TestCaseData> Roles() => BrainRole.All.Select(r => new TestCaseData(r).SetArgDisplayNames(r.Name));

    [TestCaseSource(nameof(Roles))]
    public void From_the_same_weights_and_batches_both_engines_give_the_same_loss_gradient_and_next_weights(BrainRole role)
    {
        var layout = new NetworkLayout(ObservationEncoder.Length, role.HiddenLayers, DqnLearner.Actions);
        var initial = layout.InitialWeights(seed: 21);
        using var lean = new LeanDqnEngine(layout, initial, learningRate: 1e-3, batchSize: 32);
        using var torch = new TorchDqnEngine(layout, initial, learningRate: 1e-3, batchSize: 32);
        var random = new Random(5);
        var (leanVector, torchVector) = (new float[layout.ParameterCount], new float[layout.ParameterCount]);

        for (var step = 0; step < 20; step++)
        {
            var batch = RandomBatch(layout, random);
            // The last steps use a large gradient cap, the first the learner's, which clips.
            var cap = step < 10 ? 10f : 1e6f;
            var leanLoss = lean.Train(batch, Gamma, cap);
            var torchLoss = torch.Train(batch, Gamma, cap);

            Assert.That(leanLoss, Is.EqualTo(torchLoss).Within(Tolerance), $"loss at step {step}");
            lean.ReadGradients(leanVector);
            torch.ReadGradients(torchVector);
            Assert.That(MaxDifference(leanVector, torchVector), Is.LessThan(Tolerance), $"gradient at step {step}");
            Assert.That(leanVector.Max(Math.Abs), Is.GreaterThan(1e-3f), "the batch has a gradient to compare");
            lean.ReadParameters(leanVector);
            torch.ReadParameters(torchVector);
            Assert.That(MaxDifference(leanVector, torchVector), Is.LessThan(Tolerance), $"weights after step {step}");
            Assert.That(MaxDifference(leanVector, initial), Is.GreaterThan(1e-3f), "Adam moved the weights");

            // Each step from the same weights (Adam's moments stay each engine's own): rounding-level drift
            // left to add up can push one ReLU's pre-activation across zero in one engine only, and that
            // unit's gradient then switches on or off; the engines would part on a kink, not on what they compute.
            lean.WriteParameters(torchVector);
            if (step == 5)
            {
                lean.SyncTarget();
                torch.SyncTarget();
            }
        }
    }

    [Test]
    public void Both_engines_value_a_state_alike()
    {
        var layout = new NetworkLayout(ObservationEncoder.Length, BrainRole.Medium.HiddenLayers, DqnLearner.Actions);
        var initial = layout.InitialWeights(seed: 2);
        using var lean = new LeanDqnEngine(layout, initial, 1e-3, 32);
        using var torch = new TorchDqnEngine(layout, initial, 1e-3, 32);
        var state = RandomBatch(layout, new Random(1)).States[..layout.Inputs];
        var (leanValues, torchValues) = (new float[4], new float[4]);

        lean.Values(state, leanValues);
        torch.Values(state, torchValues);

        Assert.That(MaxDifference(leanValues, torchValues), Is.LessThan(Tolerance));
        Assert.That(leanValues.Distinct().Count(), Is.EqualTo(4), "four different values: a real comparison");
    }

    [Test]
    public void Checkpoint_weights_are_the_bytes_TorchSharp_itself_writes_and_reads()
    {
        var layout = new NetworkLayout(ObservationEncoder.Length, BrainRole.Medium.HiddenLayers, DqnLearner.Actions);
        var weights = layout.InitialWeights(seed: 8);
        using var torch = new TorchDqnEngine(layout, weights, 1e-3, 32);
        using var network = new QNetwork(layout.Inputs, layout.Hidden, layout.Outputs);
        using var stream = new MemoryStream();

        network.load(new BinaryReader(new MemoryStream(CheckpointWeights.Write(layout, weights))));
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            network.save(writer);
        }

        Assert.That(stream.ToArray(), Is.EqualTo(CheckpointWeights.Write(layout, weights)), "TorchSharp saves what it loaded, byte for byte");
        var read = new float[layout.ParameterCount];
        Assert.That(CheckpointWeights.Read(layout, stream.ToArray(), read), Is.Null);
        Assert.That(read, Is.EqualTo(weights));
    }

    [TestCase(BrainCommandLine.TorchEngine, BrainCommandLine.LeanEngine)]
    [TestCase(BrainCommandLine.LeanEngine, BrainCommandLine.TorchEngine)]
    public void A_checkpoint_written_on_one_engine_resumes_on_the_other(string from, string to)
    {
        using var trained = new DqnLearner(ObservationEncoder.Length, BrainRole.Small, seed: 4, engine: from);
        var random = new Random(3);
        var layout = trained.Layout;
        for (var i = 0; i < 200; i++)
        {
            var batch = RandomBatch(layout, random);
            var open = batch.NextOpen[..4];
            trained.Learn(new Transition(batch.States[..layout.Inputs], i % 4, batch.Rewards[0], batch.Nexts[..layout.Inputs], open, i % 5 == 0));
        }

        using var resumed = new DqnLearner(ObservationEncoder.Length, BrainRole.Small, seed: 99, engine: to);
        resumed.LoadWeights(trained.SaveWeights(), trained.Steps);

        var states = Enumerable.Range(0, 50).Select(_ => RandomBatch(layout, random).States[..layout.Inputs]).ToArray();
        var all = new[] { true, true, true, true };
        Assert.That(states.Select(s => resumed.Act(s, all, explore: false)), Is.EqualTo(states.Select(s => trained.Act(s, all, explore: false))));
        Assert.That(resumed.SaveWeights(), Is.EqualTo(trained.SaveWeights()));
        Assert.That(resumed.Format, Is.EqualTo(trained.Format));
    }

    [Test]
    public void Weights_of_another_layout_or_cut_short_are_refused_with_a_reason_and_change_nothing()
    {
        var medium = new NetworkLayout(ObservationEncoder.Length, BrainRole.Medium.HiddenLayers, DqnLearner.Actions);
        var small = new NetworkLayout(ObservationEncoder.Length, BrainRole.Small.HiddenLayers, DqnLearner.Actions);
        var good = CheckpointWeights.Write(medium, medium.InitialWeights(1));
        var into = new float[medium.ParameterCount];

        Assert.That(CheckpointWeights.Read(medium, CheckpointWeights.Write(small, small.InitialWeights(1)), into), Does.Contain("tensors"));
        Assert.That(CheckpointWeights.Read(medium, good[..(good.Length - 3)], into), Does.Contain("cut short"));
        Assert.That(CheckpointWeights.Read(medium, [.. good, 0], into), Does.Contain("follow the last tensor"));
        Assert.That(CheckpointWeights.Read(medium, [], into), Does.StartWith("the weights do not load: EndOfStreamException"));
        Assert.That(into, Is.All.Zero, "a refused checkpoint writes nothing");
    }

    private static DqnBatch RandomBatch(NetworkLayout layout, Random random)
    {
        var batch = new DqnBatch(32, layout.Inputs, DqnLearner.Actions);
        for (var i = 0; i < batch.States.Length; i++)
        {
            // Sparse and non-negative, like the one-hot observations.
            batch.States[i] = random.NextDouble() < 0.2 ? 1 : 0;
            batch.Nexts[i] = random.NextDouble() < 0.2 ? 1 : 0;
        }

        for (var r = 0; r < batch.Size; r++)
        {
            batch.Actions[r] = random.Next(4);
            batch.Rewards[r] = (float)((random.NextDouble() * 4) - 2);
            batch.NotDone[r] = random.NextDouble() < 0.8 ? 1 : 0;
            var open = random.Next(4);
            for (var a = 0; a < 4; a++)
            {
                batch.NextOpen[(r * 4) + a] = a == open || random.NextDouble() < 0.5;
            }
        }

        return batch;
    }

    private static float MaxDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
}
