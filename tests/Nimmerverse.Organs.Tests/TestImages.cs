using OpenCvSharp;

namespace Nimmerverse.Organs.Tests;

/// <summary>Images drawn with OpenCV, encoded as PNG: what the vision organ is shown.</summary>
public static class TestImages
{
    public static Point CircleCentre { get; } = new(90, 200);

    /// <summary>Black text on white, one line.</summary>
    public static byte[] Text(string line)
    {
        using var image = new Mat(120, 40 + (line.Length * 26), MatType.CV_8UC3, Scalar.All(255));
        Cv2.PutText(image, line, new Point(20, 75), HersheyFonts.HersheySimplex, 1.2, Scalar.All(0), 2, LineTypes.AntiAlias);
        return PngFile.Encode(image);
    }

    /// <summary>A filled circle, rectangle and triangle in colour on white, with a word above them.</summary>
    public static byte[] ShapesAndText(string word)
    {
        using var image = new Mat(300, 480, MatType.CV_8UC3, Scalar.All(255));
        Cv2.PutText(image, word, new Point(20, 60), HersheyFonts.HersheySimplex, 1.2, Scalar.All(0), 2, LineTypes.AntiAlias);
        Cv2.Circle(image, CircleCentre, 45, new Scalar(40, 160, 40), -1, LineTypes.AntiAlias);
        Cv2.Rectangle(image, new Rect(190, 150, 110, 90), new Scalar(160, 60, 30), -1);
        Cv2.FillConvexPoly(image, [new Point(330, 250), new Point(460, 250), new Point(395, 140)], new Scalar(30, 30, 180), LineTypes.AntiAlias);
        return PngFile.Encode(image);
    }
}
