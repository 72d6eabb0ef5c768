using Nimmerverse.Protocol;
using Nimmerverse.Brains.Learning;
using Nimmerverse.Testing;

namespace Nimmerverse.Brains.Tests.Learning;

[Category(TestTier.Unit)]
public sealed class ObservationEncoderTests
{
    private static WorldObservation At(int node, params string[] open) =>
        new(0, 0, 5, 5, node, [1, 2], "blue house, with a barn", open, [], 0, false, false, false, 1, false, 10, 10);

    [Test]
    public void The_encoding_marks_row_column_goal_traits_and_open_moves()
    {
        var input = new float[ObservationEncoder.Length];

        ObservationEncoder.Encode(At(7, "N", "E"), input);

        const int side = TraitCatalogue.MaxSide;
        Assert.That(input[1], Is.EqualTo(1), "row 1");
        Assert.That(input[side + 2], Is.EqualTo(1), "column 2");
        Assert.That(input[(2 * side) + 1], Is.EqualTo(1), "colour 1 (blue)");
        Assert.That(input[(2 * side) + TraitCatalogue.Kinds[0].Values.Count + 2], Is.EqualTo(1), "feature 2 (a barn)");
        var moves = (2 * side) + TraitCatalogue.EncodedLength;
        Assert.That(input[moves..(moves + 4)], Is.EqualTo(new float[] { 1, 0, 1, 0 }), "open: N and E");
        Assert.That(input.Sum(), Is.EqualTo(6));
    }
}
