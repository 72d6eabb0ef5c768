namespace Nimmerverse.Actors.Governor;

/// <summary>The bandit's checkpoint: its price's ratios, its curves, arms and worths, and its horizon, in <see cref="WeightsFormat"/>.</summary>
public sealed partial class ClassBanditPolicy
{
    public byte[]? SaveWeights()
    {
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream);
        var (progress, cost) = _price.Village ?? (0, 0);
        foreach (var number in new[] { progress, cost, _price.LongRun.Progress, _price.LongRun.Cost })
        {
            writer.Write(number);
        }

        foreach (var number in LearntRates.Concat(_own).SelectMany(c => c.Save()).Concat(LearntGates.Concat(_values).SelectMany(a => a.Save())).Concat(_occupancy))
        {
            writer.Write(number);
        }

        writer.Flush();
        return stream.ToArray();
    }

    public void LoadWeights(byte[] weights)
    {
        var expected = sizeof(double) * (4 + LearntRates.Concat(_own).Sum(c => RateCurve.SavedLength(c.Arms)) + LearntGates.Concat(_values).Sum(a => ArmPayoffs.SavedLength(a.Arms)) + _occupancy.Length);
        if (weights.Length != expected)
        {
            throw new ArgumentException($"{weights.Length} bytes, not the {expected} of {WeightsFormat}", nameof(weights));
        }

        using var reader = new BinaryReader(new MemoryStream(weights));
        var (progress, cost, longRunProgress, longRunCost) = (reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble());
        if (cost > 0)
        {
            _price.Start(progress, cost, (longRunProgress, longRunCost));
        }

        foreach (var curve in LearntRates.Concat(_own))
        {
            curve.Load([.. Enumerable.Range(0, RateCurve.SavedLength(curve.Arms)).Select(_ => reader.ReadDouble())]);
        }

        foreach (var arms in LearntGates.Concat(_values))
        {
            arms.Load([.. Enumerable.Range(0, ArmPayoffs.SavedLength(arms.Arms)).Select(_ => reader.ReadDouble())]);
        }

        for (var i = 0; i < _occupancy.Length; i++)
        {
            _occupancy[i] = reader.ReadDouble();
        }
    }
}
