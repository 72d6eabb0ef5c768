using Nimmerverse.Protocol;
using OpenCvSharp;

namespace Nimmerverse.Organs.Local;

/// <summary>
/// Finds solid shapes (circles, triangles, rectangles) with OpenCV contours: what the organism's
/// world draws for food, water and shelter. A shape's confidence is how well its outline fits the
/// ideal: circularity for a circle, filled area against its polygon for the others.
/// </summary>
public static class ShapeDetector
{
    /// <summary>Shapes in a grey image whose area is at least <paramref name="minimumArea"/> pixels, outside the <paramref name="exclude"/> boxes (text already read).</summary>
    public static IReadOnlyList<Detection> Find(Mat grey, double minimumArea, IReadOnlyList<ImageBox> exclude)
    {
        using var binary = new Mat();
        // Objects are darker or lighter than the background; Otsu picks the split, the border says which side is background.
        Cv2.Threshold(grey, binary, 0, 255, ThresholdTypes.Otsu | ThresholdTypes.Binary);
        if (BorderMean(binary) > 127)
        {
            Cv2.BitwiseNot(binary, binary);
        }

        Cv2.FindContours(binary, out var contours, out _, RetrievalModes.External, ContourApproximationModes.ApproxSimple);
        var found = new List<Detection>();
        foreach (var contour in contours)
        {
            var area = Cv2.ContourArea(contour);
            var bounds = Cv2.BoundingRect(contour);
            var box = new ImageBox(bounds.X, bounds.Y, bounds.Width, bounds.Height);
            if (area < minimumArea || exclude.Any(text => Overlaps(text, box)))
            {
                continue;
            }

            if (Classify(contour, area) is { } shape)
            {
                found.Add(new Detection(shape.Label, Math.Round(shape.Confidence, 4), box));
            }
        }

        return [.. found.OrderByDescending(d => d.Confidence)];
    }

    private static (string Label, double Confidence)? Classify(Point[] contour, double area)
    {
        var perimeter = Cv2.ArcLength(contour, true);
        var polygon = Cv2.ApproxPolyDP(contour, 0.03 * perimeter, true);
        var polygonArea = Math.Max(1, Cv2.ContourArea(polygon));
        var fit = Math.Min(area, polygonArea) / Math.Max(area, polygonArea);
        var circularity = 4 * Math.PI * area / (perimeter * perimeter);
        return polygon.Length switch
        {
            3 => ("triangle", fit),
            4 => ("rectangle", fit),
            _ when circularity > 0.8 => ("circle", Math.Min(1, circularity)),
            _ => null,
        };
    }

    private static double BorderMean(Mat binary)
    {
        using var top = binary.Row(0);
        using var bottom = binary.Row(binary.Rows - 1);
        using var left = binary.Col(0);
        using var right = binary.Col(binary.Cols - 1);
        return (top.Mean().Val0 + bottom.Mean().Val0 + left.Mean().Val0 + right.Mean().Val0) / 4;
    }

    private static bool Overlaps(ImageBox a, ImageBox b) =>
        a.X < b.X + b.Width && b.X < a.X + a.Width && a.Y < b.Y + b.Height && b.Y < a.Y + a.Height;
}
