using Nimmerverse.Protocol;

namespace Nimmerverse.Brains.Learning;

/// <summary>
/// Turns an observation into the network's input, the same length at every level: the row and
/// the column one-hot (up to <see cref="TraitCatalogue.MaxSide"/>), the goal's traits one-hot per
/// kind, then the open and the crowded moves. The goal is given by traits only, so where each
/// house stands is something the network must learn.
/// </summary>
public static class ObservationEncoder
{
    private const int Side = TraitCatalogue.MaxSide;

    public static int Length { get; } = Side + Side + TraitCatalogue.EncodedLength + 4 + 4;

    public static void Encode(WorldObservation observation, Span<float> input)
    {
        if (input.Length != Length)
        {
            throw new ArgumentException($"input has {input.Length} floats; {Length} expected", nameof(input));
        }

        input.Clear();
        input[observation.Node / observation.Columns] = 1;
        input[Side + (observation.Node % observation.Columns)] = 1;
        var offset = 2 * Side;
        for (var kind = 0; kind < TraitCatalogue.Kinds.Count; kind++)
        {
            if (kind < observation.GoalTraits.Count)
            {
                input[offset + observation.GoalTraits[kind]] = 1;
            }

            offset += TraitCatalogue.Kinds[kind].Values.Count;
        }

        foreach (var move in observation.OpenMoves)
        {
            input[offset + Moves.IndexOf(move)] = 1;
        }

        offset += 4;
        foreach (var move in observation.BlockedMoves)
        {
            input[offset + Moves.IndexOf(move)] = 1;
        }
    }

    /// <summary>The open moves as a mask over N, S, E, W.</summary>
    public static bool[] OpenMask(WorldObservation observation)
    {
        var mask = new bool[4];
        foreach (var move in observation.OpenMoves)
        {
            mask[Moves.IndexOf(move)] = true;
        }

        return mask;
    }
}
