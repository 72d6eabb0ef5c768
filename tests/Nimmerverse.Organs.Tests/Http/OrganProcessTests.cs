using System.ClientModel;
using System.Net;
using System.Text.Json.Nodes;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Organs;
using OpenAI;
using OpenAI.Audio;

namespace Nimmerverse.Organs.Tests.Http;

/// <summary>Organ processes as the manager runs them, spoken to over HTTP; the speech organs through the OpenAI .NET SDK, as any OpenAI client would.</summary>
[TestFixture]
[Category(TestTier.Unit)]
public sealed class OrganProcessTests
{
    private OrganServer _speaker = null!;
    private OrganServer _listener = null!;
    private OrganServer _vision = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        var started = await Task.WhenAll(
            OrganServer.StartAsync(OrganNames.TextToSpeech),
            OrganServer.StartAsync(OrganNames.SpeechToText, ("NIMMERVERSE_ORGAN__MAXMEDIABYTES", "65536")),
            OrganServer.StartAsync(OrganNames.Vision));
        (_speaker, _listener, _vision) = (started[0], started[1], started[2]);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _speaker.DisposeAsync();
        await _listener.DisposeAsync();
        await _vision.DisposeAsync();
    }

    private static AudioClient Audio(OrganServer organ) =>
        new("local", new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(organ.Url, "/v1") });

    [Test]
    public async Task What_the_speech_organ_says_the_listening_organ_hears_through_the_OpenAI_SDK()
    {
        var speech = await Audio(_speaker).GenerateSpeechAsync("close the motor gate", GeneratedSpeechVoice.Alloy, new SpeechGenerationOptions { ResponseFormat = GeneratedSpeechFormat.Wav });
        using var wave = speech.Value.ToStream();
        var heard = await Audio(_listener).TranscribeAudioAsync(wave, "speech.wav");

        Assert.That(heard.Value.Text, Is.EqualTo("close the motor gate"));
    }

    [Test]
    public async Task The_health_check_says_what_is_loaded_and_how_long_it_took()
    {
        var health = JsonNode.Parse(await _listener.Http.GetStringAsync(new Uri(_listener.Url, "/health")))!;

        Assert.That((string?)health["organ"], Is.EqualTo(OrganNames.SpeechToText));
        Assert.That((string?)health["status"], Is.EqualTo("ready"));
        Assert.That((double)health["load_ms"]!, Is.GreaterThan(0));
    }

    [Test]
    public async Task Vision_reads_the_text_in_a_posted_image()
    {
        using var image = new ByteArrayContent(TestImages.Text("OPEN THE GATE"));
        using var answer = await _vision.Http.PostAsync(new Uri(_vision.Url, "/v1/vision/detect"), image);
        var seen = JsonNode.Parse(await answer.Content.ReadAsStringAsync())!;

        Assert.That(answer.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((string?)seen["text"]![0]!["text"], Is.EqualTo("OPEN THE GATE"));
        Assert.That((double)seen["text"]![0]!["confidence"]!, Is.GreaterThan(0.8));
    }

    [TestCase("""{"input": ""}""", "empty_text")]
    [TestCase("""{"input": "turn left", "response_format": "mp3"}""", "unsupported_format")]
    [TestCase("""{"input": 42}""", "empty_text")]
    [TestCase("""not json""", "invalid_json")]
    public async Task Bad_speech_requests_are_refused_with_a_reason_and_the_organ_goes_on(string body, string code)
    {
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var answer = await _speaker.Http.PostAsync(new Uri(_speaker.Url, "/v1/audio/speech"), content);

        Assert.That(answer.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string?)JsonNode.Parse(await answer.Content.ReadAsStringAsync())!["error"]!["code"], Is.EqualTo(code));
        Assert.That(_speaker.HasExited, Is.False);
    }

    [Test]
    public async Task Corrupt_and_oversized_audio_are_refused_and_the_organ_goes_on()
    {
        using var corrupt = new MultipartFormDataContent { { new ByteArrayContent("RIFF....WAVEjunk"u8.ToArray()), "file", "bad.wav" } };
        using var refused = await _listener.Http.PostAsync(new Uri(_listener.Url, "/v1/audio/transcriptions"), corrupt);
        Assert.That((string?)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["code"], Is.EqualTo("corrupt_audio"));

        using var huge = new MultipartFormDataContent { { new ByteArrayContent(new byte[200_000]), "file", "huge.wav" } };
        using var tooLarge = await _listener.Http.PostAsync(new Uri(_listener.Url, "/v1/audio/transcriptions"), huge);
        Assert.That((int)tooLarge.StatusCode, Is.EqualTo(413).Or.EqualTo(400));

        var speech = await Audio(_speaker).GenerateSpeechAsync("turn right", GeneratedSpeechVoice.Alloy, new SpeechGenerationOptions { ResponseFormat = GeneratedSpeechFormat.Wav });
        Assert.That((await Audio(_listener).TranscribeAudioAsync(speech.Value.ToStream(), "ok.wav")).Value.Text, Is.EqualTo("turn right"));
    }

    [Test]
    public async Task A_corrupt_image_is_refused_with_a_reason()
    {
        using var junk = new ByteArrayContent("\x89PNG but not really"u8.ToArray());
        using var answer = await _vision.Http.PostAsync(new Uri(_vision.Url, "/v1/vision/detect"), junk);

        Assert.That(answer.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string?)JsonNode.Parse(await answer.Content.ReadAsStringAsync())!["error"]!["code"], Is.EqualTo("corrupt_image"));
    }

    [TestCase(new[] { "--organ", "smell" }, new string[0], 78, "Organ:Organ")]
    [TestCase(new[] { "--organ", "vision", "--listen", "ftp://nowhere" }, new string[0], 78, "Organ:Listen")]
    [TestCase(new[] { "--organ", "vision" }, new[] { "NIMMERVERSE_ORGAN__NOSUCHKEY=1" }, 78, "NoSuchKey")]
    [TestCase(new[] { "--organ", "speech-to-text" }, new[] { "NIMMERVERSE_ORGAN__GRAMMAR=/nonexistent/commands.jsgf" }, 69, "/nonexistent/commands.jsgf")]
    [TestCase(new[] { "--bogus" }, new string[0], 64, "usage")]
    public async Task A_bad_setting_or_a_model_that_cannot_load_exits_with_its_code_and_says_why(string[] arguments, string[] environment, int exitCode, string named)
    {
        var start = new System.Diagnostics.ProcessStartInfo(OrganServer.Executable, arguments) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var variable in environment)
        {
            var (key, value) = (variable[..variable.IndexOf('=')], variable[(variable.IndexOf('=') + 1)..]);
            start.Environment[key] = value;
        }

        using var organ = System.Diagnostics.Process.Start(start)!;
        var said = await organ.StandardError.ReadToEndAsync() + await organ.StandardOutput.ReadToEndAsync();
        await organ.WaitForExitAsync();

        Assert.That(organ.ExitCode, Is.EqualTo(exitCode), said);
        Assert.That(said, Does.Contain(named).IgnoreCase);
    }
}
