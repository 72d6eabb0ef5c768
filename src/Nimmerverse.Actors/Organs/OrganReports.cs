using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Nimmerverse.Actors.Cells;
using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Organs;

/// <summary>
/// What a trail and a wave say about an organ operation: the input summarised (never the media
/// itself: a trail is a row, not a blob store), the output summarised, the confidence of the answer,
/// and the wave's content.
/// </summary>
public static class OrganReports
{
    /// <summary>Summaries stay readable in a table cell.</summary>
    private const int MaxSummary = 512;

    public static string Input(string organ, OrganRequestBody request) => organ switch
    {
        OrganNames.TextToSpeech => $"text: \"{PrintableText.Of(request.Text ?? "", MaxSummary)}\"",
        _ when request.Media is { } media => $"{MediaKind(media)}, {media.Length.ToString("N0", CultureInfo.InvariantCulture)} bytes"
            + (WaveSeconds(media) is { } seconds ? $", {seconds.ToString("0.00", CultureInfo.InvariantCulture)} s" : ""),
        _ when request.MediaObject is { } name => $"object {PrintableText.Of(name, MaxSummary)} from the organ media bucket",
        _ => "nothing",
    };

    public static string Output(object result) => PrintableText.Of(result switch
    {
        VisionResult vision when vision.Detections.Count + vision.Text.Count == 0 => "nothing seen",
        VisionResult vision => string.Join("; ", vision.Detections.Select(d => $"{d.Label} {Score(d.Confidence)} at {d.Box.X},{d.Box.Y} {d.Box.Width}x{d.Box.Height}")
            .Concat(vision.Text.Select(t => $"text \"{t.Text}\" {Score(t.Confidence)}"))),
        Transcription heard when heard.Text.Length == 0 => "no words heard",
        Transcription heard => $"\"{heard.Text}\"",
        byte[] speech => $"audio/wav, {(WaveSeconds(speech) ?? 0).ToString("0.00", CultureInfo.InvariantCulture)} s, {speech.Length.ToString("N0", CultureInfo.InvariantCulture)} bytes",
        string speechObject => $"audio/wav kept as {speechObject}",
        _ => result.GetType().Name,
    }, MaxSummary);

    /// <summary>How sure the organ is of its answer: the surest thing it saw, what it heard, 1 for what it said.</summary>
    public static double Confidence(object result) => result switch
    {
        VisionResult vision => vision.Detections.Select(d => d.Confidence).Concat(vision.Text.Select(t => t.Confidence)).DefaultIfEmpty(0).Max(),
        Transcription heard => heard.Confidence,
        _ => 1,
    };

    /// <summary>The wave's content: what a gate may weigh, small (labels and words, not boxes or audio).</summary>
    public static JsonElement WaveContent(string requester, object result) => result switch
    {
        VisionResult vision => CellReplies.Content(("requester", requester), ("labels", vision.Detections.Select(d => d.Label).ToArray()), ("text", vision.Text.Select(t => t.Text).ToArray())),
        Transcription heard => CellReplies.Content(("requester", requester), ("text", heard.Text), ("duration_seconds", heard.DurationSeconds)),
        byte[] speech => CellReplies.Content(("requester", requester), ("duration_seconds", WaveSeconds(speech) ?? 0)),
        _ => CellReplies.Content(("requester", requester)),
    };

    private static string Score(double confidence) => confidence.ToString("0.00", CultureInfo.InvariantCulture);

    private static string MediaKind(byte[] media) => media switch
    {
        [0x89, (byte)'P', (byte)'N', (byte)'G', ..] => "image/png",
        [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
        [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'A', (byte)'V', (byte)'E', ..] => "audio/wav",
        _ => "unknown media",
    };

    /// <summary>A canonical PCM WAV's length in seconds from its header, or null for anything else.</summary>
    public static double? WaveSeconds(byte[] media)
    {
        if (MediaKind(media) != "audio/wav" || media.Length < 44 || Encoding.ASCII.GetString(media, 12, 4) != "fmt ")
        {
            return null;
        }

        var bytesPerSecond = BinaryPrimitives.ReadInt32LittleEndian(media.AsSpan(28, 4));
        return bytesPerSecond > 0 ? (media.Length - 44) / (double)bytesPerSecond : null;
    }
}
