using System.Text.Json;
using System.Text.Json.Nodes;
using Nimmerverse.Organs.Local;
using Nimmerverse.Organs.Media;
using Nimmerverse.Protocol;

namespace Nimmerverse.Organs.Http;

/// <summary>
/// What an organ process serves, one organ per process: <c>GET /health</c>, and the organ's own
/// endpoint. The speech endpoints are OpenAI's (<c>/v1/audio/speech</c>, <c>/v1/audio/transcriptions</c>),
/// so an OpenAI client, or a lab speech server in its place, speaks to either; vision has
/// <c>/v1/vision/detect</c> (an image in, detections and text out). Errors in OpenAI's shape. The
/// backend works one request at a time (the native libraries are not re-entrant).
/// </summary>
public static class OrganEndpoints
{
    public static void MapOrganEndpoints(this WebApplication app, OrganSettings settings, LoadedOrgan organ)
    {
        app.MapGet("/health", () => Results.Json(new JsonObject
        {
            ["organ"] = settings.Organ,
            ["status"] = "ready",
            ["load_ms"] = Math.Round(organ.LoadTime.TotalMilliseconds),
            ["served"] = organ.Served,
        }));
        switch (organ.Backend)
        {
            case ISpeaker speaker:
                app.MapPost("/v1/audio/speech", (Delegate)((HttpContext http) => SpeakAsync(http, settings, organ, speaker)));
                break;
            case ITranscriber transcriber:
                app.MapPost("/v1/audio/transcriptions", (Delegate)((HttpContext http) => TranscribeAsync(http, organ, transcriber)));
                break;
            case IVisionReader vision:
                app.MapPost("/v1/vision/detect", (Delegate)((HttpContext http) => DetectAsync(http, organ, vision)));
                break;
        }
    }

    private static async Task<IResult> SpeakAsync(HttpContext http, OrganSettings settings, LoadedOrgan organ, ISpeaker speaker)
    {
        JsonNode? request;
        try
        {
            request = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            return Error(400, "invalid_json", $"the request is not JSON: {e.Message}");
        }

        var text = (request?["input"] as JsonValue)?.TryGetValue<string>(out var input) == true ? input : null;
        var format = (request?["response_format"] as JsonValue)?.TryGetValue<string>(out var f) == true ? f : "wav";
        if (string.IsNullOrWhiteSpace(text))
        {
            return Error(400, "empty_text", "'input' must be non-empty text");
        }

        if (text.Length > settings.MaxTextChars)
        {
            return Error(400, "text_too_long", $"'input' has {text.Length} characters; at most {settings.MaxTextChars}");
        }

        if (format != "wav")
        {
            return Error(400, "unsupported_format", $"response_format '{format}' is not served here; only 'wav'");
        }

        var audio = await organ.RunAsync(() => speaker.Speak(PrintableText.Prose(text, settings.MaxTextChars)), http.RequestAborted).ConfigureAwait(false);
        return Results.Bytes(audio.ToWave(), "audio/wav");
    }

    private static async Task<IResult> TranscribeAsync(HttpContext http, LoadedOrgan organ, ITranscriber transcriber)
    {
        if (!http.Request.HasFormContentType)
        {
            return Error(400, "not_multipart", "send the audio as multipart/form-data with a 'file' field, as OpenAI's API does");
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted).ConfigureAwait(false);
        if (form.Files.GetFile("file") is not { } file)
        {
            return Error(400, "no_file", "the form has no 'file' field");
        }

        using var bytes = new MemoryStream();
        await file.CopyToAsync(bytes, http.RequestAborted).ConfigureAwait(false);
        WaveAudio audio;
        try
        {
            audio = WaveAudio.Parse(bytes.GetBuffer().AsSpan(0, (int)bytes.Length));
        }
        catch (InvalidDataException e)
        {
            return Error(400, "corrupt_audio", e.Message);
        }

        var heard = await organ.RunAsync(() => transcriber.Transcribe(audio), http.RequestAborted).ConfigureAwait(false);
        return form["response_format"].ToString() switch
        {
            "text" => Results.Text(heard.Text),
            // OpenAI's verbose form: one segment, its avg_logprob the log of the confidence, so an
            // OpenAI client (an organ with the openai backend among them) reads the confidence back.
            "verbose_json" => Results.Json(new JsonObject
            {
                ["task"] = "transcribe",
                ["language"] = "english",
                ["duration"] = heard.DurationSeconds,
                ["text"] = heard.Text,
                ["segments"] = new JsonArray(new JsonObject
                {
                    ["id"] = 0, ["seek"] = 0, ["start"] = 0.0, ["end"] = heard.DurationSeconds, ["text"] = heard.Text, ["tokens"] = new JsonArray(),
                    ["temperature"] = 0.0, ["avg_logprob"] = Math.Log(Math.Max(heard.Confidence, 1e-9)), ["compression_ratio"] = 1.0, ["no_speech_prob"] = heard.Text.Length == 0 ? 1.0 : 0.0,
                }),
            }),
            _ => Results.Json(new JsonObject { ["text"] = heard.Text, ["confidence"] = heard.Confidence, ["duration"] = heard.DurationSeconds }),
        };
    }

    private static async Task<IResult> DetectAsync(HttpContext http, LoadedOrgan organ, IVisionReader vision)
    {
        using var bytes = new MemoryStream();
        await http.Request.Body.CopyToAsync(bytes, http.RequestAborted).ConfigureAwait(false);
        if (bytes.Length == 0)
        {
            return Error(400, "empty_image", "the request body holds no image");
        }

        try
        {
            var seen = await organ.RunAsync(() => vision.Look(bytes.ToArray()), http.RequestAborted).ConfigureAwait(false);
            return Results.Json(seen, WireJsonContext.Default.VisionResult);
        }
        catch (InvalidDataException e)
        {
            return Error(400, "corrupt_image", e.Message);
        }
    }

    private static IResult Error(int status, string code, string message) => Results.Json(
        new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["type"] = "invalid_request_error", ["param"] = null, ["code"] = code } },
        statusCode: status);
}
