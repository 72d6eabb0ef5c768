using Nimmerverse.Protocol;
using OpenCvSharp;

namespace Nimmerverse.Organs.Local;

/// <summary>
/// The vision organ on this machine: Tesseract reads the text, OpenCV finds the shapes elsewhere in
/// the image. Tesseract reads shapes as letters too, with little confidence: lines below
/// <paramref name="minimumTextConfidence"/> are left out, and their pixels left to the shapes.
/// </summary>
public sealed class LocalVision(TesseractReader reader, double minimumTextConfidence, double minimumShapeArea) : IVisionReader
{
    public VisionResult Look(byte[] image)
    {
        using var grey = Media.GreyImage.Decode(image);
        var text = reader.Read(grey).Where(line => line.Confidence >= minimumTextConfidence).ToList();
        var shapes = ShapeDetector.Find(grey, minimumShapeArea, [.. text.Select(t => t.Box)]);
        return new VisionResult(shapes, text);
    }

    public void Dispose() => reader.Dispose();
}
