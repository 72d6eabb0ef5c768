using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Organs;

/// <summary>The organ refused the input (HTTP 400 or 413), with its code and sentence: the input's fault, not the organ's.</summary>
public sealed class OrganRefusedException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>
/// Speaks to one loaded organ process over its HTTP API (docs/organs.md). Anything but an answer or
/// a refusal (a connection refused or cut, a 5xx, a timeout) is the organ's failure and surfaces as
/// <see cref="HttpRequestException"/> or <see cref="TaskCanceledException"/>.
/// </summary>
public sealed class OrganClient(Uri baseAddress) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>Whether the organ answers <c>/health</c> as ready.</summary>
    public async Task<bool> HealthyAsync(CancellationToken cancellation)
    {
        try
        {
            using var answer = await _http.GetAsync(new Uri("/health", UriKind.Relative), cancellation).ConfigureAwait(false);
            return answer.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>Text to speech: the WAVE file.</summary>
    public async Task<byte[]> SpeakAsync(string text, CancellationToken cancellation)
    {
        var request = new JsonObject { ["model"] = OrganNames.TextToSpeech, ["input"] = text, ["response_format"] = "wav" };
        using var content = new StringContent(request.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
        using var answer = await _http.PostAsync(new Uri("/v1/audio/speech", UriKind.Relative), content, cancellation).ConfigureAwait(false);
        await ThrowUnlessOkAsync(answer, cancellation).ConfigureAwait(false);
        return await answer.Content.ReadAsByteArrayAsync(cancellation).ConfigureAwait(false);
    }

    /// <summary>Speech to text, from a WAVE file.</summary>
    public async Task<Transcription> TranscribeAsync(byte[] wave, CancellationToken cancellation)
    {
        using var file = new ByteArrayContent(wave);
        file.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        using var form = new MultipartFormDataContent { { file, "file", "audio.wav" }, { new StringContent(OrganNames.SpeechToText), "model" } };
        using var answer = await _http.PostAsync(new Uri("/v1/audio/transcriptions", UriKind.Relative), form, cancellation).ConfigureAwait(false);
        await ThrowUnlessOkAsync(answer, cancellation).ConfigureAwait(false);
        var heard = JsonNode.Parse(await answer.Content.ReadAsStringAsync(cancellation).ConfigureAwait(false))!;
        return new Transcription((string?)heard["text"] ?? "", (double?)heard["confidence"] ?? 0, (double?)heard["duration"] ?? 0);
    }

    /// <summary>Objects and text in an encoded image.</summary>
    public async Task<VisionResult> DetectAsync(byte[] image, CancellationToken cancellation)
    {
        using var content = new ByteArrayContent(image);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var answer = await _http.PostAsync(new Uri("/v1/vision/detect", UriKind.Relative), content, cancellation).ConfigureAwait(false);
        await ThrowUnlessOkAsync(answer, cancellation).ConfigureAwait(false);
        var json = await answer.Content.ReadAsByteArrayAsync(cancellation).ConfigureAwait(false);
        return JsonSerializer.Deserialize(json, WireJsonContext.Default.VisionResult)
            ?? throw new HttpRequestException("the vision organ answered null");
    }

    public void Dispose() => _http.Dispose();

    private static async Task ThrowUnlessOkAsync(HttpResponseMessage answer, CancellationToken cancellation)
    {
        if (answer.IsSuccessStatusCode)
        {
            return;
        }

        if (answer.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge)
        {
            var body = await answer.Content.ReadAsStringAsync(cancellation).ConfigureAwait(false);
            var error = TryParse(body)?["error"];
            throw new OrganRefusedException(
                (string?)error?["code"] ?? (answer.StatusCode == HttpStatusCode.RequestEntityTooLarge ? "too_large" : "bad_input"),
                (string?)error?["message"] ?? $"the organ refused the input ({(int)answer.StatusCode})");
        }

        throw new HttpRequestException($"the organ answered {(int)answer.StatusCode} {answer.ReasonPhrase}", null, answer.StatusCode);
    }

    private static JsonNode? TryParse(string body)
    {
        try
        {
            return JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
