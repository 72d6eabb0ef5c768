using System.ClientModel;
using System.Globalization;
using System.Text.Json.Nodes;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Organs;
using OpenAI;
using OpenAI.Audio;

namespace Nimmerverse.Organs.Tests.Remote;

/// <summary>
/// The speech organs with the <c>openai</c> backend, as they run against the lab's GPU speech servers.
/// The server here is real and speaks OpenAI's audio API: another <c>nimmerverse-organ</c>, with its
/// local backend, which the organ under test starts and owns as a lab organ owns its model server.
/// </summary>
[TestFixture]
[Category(TestTier.Unit)]
public sealed class OpenAiBackendTests
{
    /// <summary>An organ answered by an OpenAI-compatible server on <paramref name="port"/> that it starts itself.</summary>
    private static (string, string)[] Owning(string organ, int port) =>
    [
        ("NIMMERVERSE_ORGAN__BACKEND", "openai"),
        ("NIMMERVERSE_ORGAN__ENDPOINT", $"http://127.0.0.1:{port}/v1"),
        ("NIMMERVERSE_ORGAN__MODEL", $"lab-{organ}"),
        ("NIMMERVERSE_ORGAN__SERVERCOMMAND__0", OrganServer.Executable),
        ("NIMMERVERSE_ORGAN__SERVERCOMMAND__1", "--organ"),
        ("NIMMERVERSE_ORGAN__SERVERCOMMAND__2", organ),
        ("NIMMERVERSE_ORGAN__SERVERCOMMAND__3", "--listen"),
        ("NIMMERVERSE_ORGAN__SERVERCOMMAND__4", $"http://127.0.0.1:{port}"),
    ];

    /// <summary>The processes whose parent is <paramref name="pid"/>.</summary>
    private static List<int> ChildrenOf(int pid) =>
        [.. Directory.GetDirectories("/proc")
            .Select(Path.GetFileName)
            .Where(name => int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .Select(name => (Pid: int.Parse(name!, CultureInfo.InvariantCulture), Stat: TryRead($"/proc/{name}/stat")))
            .Where(p => p.Stat is { } stat && int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture) == pid)
            .Select(p => p.Pid)];

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }
    }

    [Test]
    public async Task Speech_organs_on_servers_they_own_speak_and_hear_and_take_their_servers_down_with_them()
    {
        await using var speaker = await OrganServer.StartAsync(OrganNames.TextToSpeech, Owning(OrganNames.TextToSpeech, Ports.FreeTcpPort()));
        await using var listener = await OrganServer.StartAsync(OrganNames.SpeechToText, Owning(OrganNames.SpeechToText, Ports.FreeTcpPort()));
        var owned = ChildrenOf(speaker.ProcessId).Concat(ChildrenOf(listener.ProcessId)).ToList();
        Assert.That(owned, Has.Count.EqualTo(2), "each organ started its server");
        Assert.That(owned.Select(pid => File.ReadAllText($"/proc/{pid}/cmdline")), Has.All.Contain("nimmerverse-organ"));

        var audio = new AudioClient("organ", new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(speaker.Url, "/v1") });
        var speech = await audio.GenerateSpeechAsync("find the water", GeneratedSpeechVoice.Alloy, new SpeechGenerationOptions { ResponseFormat = GeneratedSpeechFormat.Wav });
        using var form = new MultipartFormDataContent { { new ByteArrayContent(speech.Value.ToArray()), "file", "water.wav" } };
        using var heard = await listener.Http.PostAsync(new Uri(listener.Url, "/v1/audio/transcriptions"), form);
        var answer = JsonNode.Parse(await heard.Content.ReadAsStringAsync())!;

        Assert.That((string?)answer["text"], Is.EqualTo("find the water"), answer.ToJsonString());
        Assert.That((double)answer["confidence"]!, Is.GreaterThan(0.5).And.LessThanOrEqualTo(1), "the server's confidence, read back from its verbose answer");
        Assert.That((double)answer["duration"]!, Is.GreaterThan(0.3));

        await speaker.DisposeAsync();
        await listener.DisposeAsync();
        Assert.That(owned.Where(pid => Directory.Exists($"/proc/{pid}")), Is.Empty, "unloading the organ stopped the server it owned");
    }

    [Test]
    public async Task An_owned_server_that_never_listens_fails_the_load_with_exit_69_and_says_why()
    {
        var start = new System.Diagnostics.ProcessStartInfo(OrganServer.Executable, ["--organ", OrganNames.TextToSpeech]) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var (key, value) in Owning(OrganNames.TextToSpeech, Ports.FreeTcpPort()).Take(3).Append(("NIMMERVERSE_ORGAN__SERVERCOMMAND__0", "/bin/false")))
        {
            start.Environment[key] = value;
        }

        using var organ = System.Diagnostics.Process.Start(start)!;
        var said = await organ.StandardError.ReadToEndAsync() + await organ.StandardOutput.ReadToEndAsync();
        await organ.WaitForExitAsync();

        Assert.That(organ.ExitCode, Is.EqualTo(69), said);
        Assert.That(said, Does.Contain("/bin/false").And.Contain("exited"));
    }
}
