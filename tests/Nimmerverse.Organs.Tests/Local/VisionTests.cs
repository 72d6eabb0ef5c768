using Nimmerverse.Testing;
using Nimmerverse.Organs.Local;
using OpenCvSharp;

namespace Nimmerverse.Organs.Tests.Local;

/// <summary>Tesseract and OpenCV loaded into this process, on images drawn here.</summary>
[TestFixture]
[Category(TestTier.Unit)]
public sealed class VisionTests
{
    private IVisionReader _vision = null!;

    [OneTimeSetUp]
    public void Load() => _vision = new OrganSettings().CreateVision();

    [OneTimeTearDown]
    public void Unload() => _vision.Dispose();

    [Test]
    public void A_rendered_line_of_text_is_read_exactly()
    {
        var seen = _vision.Look(TestImages.Text("FOOD AT THE NORTH GATE"));

        Assert.That(seen.Text.Select(t => t.Text), Is.EqualTo(new[] { "FOOD AT THE NORTH GATE" }));
        Assert.That(seen.Text[0].Confidence, Is.GreaterThan(0.8));
        Assert.That(seen.Detections, Is.Empty, "the letters are text, not shapes");
    }

    [Test]
    public void Shapes_are_found_where_they_were_drawn_and_text_beside_them_is_read()
    {
        var seen = _vision.Look(TestImages.ShapesAndText("WATER"));

        TestContext.Out.WriteLine(string.Join("; ", seen.Detections) + " | " + string.Join("; ", seen.Text));
        Assert.That(seen.Detections.Select(d => d.Label).Order().ToArray(), Is.EqualTo(new[] { "circle", "rectangle", "triangle" }));
        Assert.That(seen.Detections.Select(d => d.Confidence), Has.All.GreaterThan(0.8));
        var circle = seen.Detections.Single(d => d.Label == "circle").Box;
        Assert.That((circle.X + (circle.Width / 2), circle.Y + (circle.Height / 2)), Is.EqualTo((TestImages.CircleCentre.X, TestImages.CircleCentre.Y)).Using<(int, int)>((a, b) => Math.Abs(a.Item1 - b.Item1) <= 2 && Math.Abs(a.Item2 - b.Item2) <= 2));
        Assert.That(seen.Text.Select(t => t.Text), Is.EqualTo(new[] { "WATER" }));
    }

    [Test]
    public void A_blank_image_holds_nothing()
    {
        using var blank = new Mat(200, 300, MatType.CV_8UC3, Scalar.All(255));
        var seen = _vision.Look(PngFile.Encode(blank));

        Assert.That(seen.Detections, Is.Empty);
        Assert.That(seen.Text, Is.Empty);
    }

    [Test]
    public void A_corrupt_image_is_refused_with_a_reason()
    {
        var png = TestImages.Text("HELLO");
        var cut = png[..(png.Length / 3)];

        Assert.That(() => _vision.Look(cut), Throws.TypeOf<InvalidDataException>().With.Message.Contains("could not be decoded"));
        Assert.That(() => _vision.Look("not an image"u8.ToArray()), Throws.TypeOf<InvalidDataException>());
        Assert.That(_vision.Look(TestImages.Text("STILL WORKS")).Text.Single().Text, Is.EqualTo("STILL WORKS"), "a bad image leaves the organ working");
    }
}
