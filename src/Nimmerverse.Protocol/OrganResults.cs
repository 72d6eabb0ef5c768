namespace Nimmerverse.Protocol;

/// <summary>A rectangle in an image, in pixels from its top-left corner.</summary>
public sealed record ImageBox(int X, int Y, int Width, int Height);

/// <summary>An object the vision organ found: what it is, how sure (0..1), where.</summary>
public sealed record Detection(string Label, double Confidence, ImageBox Box);

/// <summary>A line of text the vision organ read, how sure (0..1), where.</summary>
public sealed record TextRead(string Text, double Confidence, ImageBox Box);

/// <summary>What the vision organ saw in one image.</summary>
public sealed record VisionResult(IReadOnlyList<Detection> Detections, IReadOnlyList<TextRead> Text);

/// <summary>What the speech-to-text organ heard: the words (empty when none it knows), how sure (0..1), and how long the audio was.</summary>
public sealed record Transcription(string Text, double Confidence, double DurationSeconds);
