using System.Net.Http.Json;
using System.Text.Json;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Systemd;

namespace Nimmerverse.EndToEnd.Tests.Systemd;

/// <summary>
/// nimmerverse-nyx.service as installed, under the sandbox's real systemd: it runs as nyx-cognitive
/// with no capability, serves the shipped model, and a bad setting fails it with 78, not restarts.
/// </summary>
[Category(TestTier.System)]
[NonParallelizable]
public sealed class NyxServiceTests
{
    private const string Unit = "nimmerverse-nyx.service";
    private static SystemdSandbox Sandbox => SandboxSetUp.Sandbox;

    [TearDown]
    public async Task StopIt()
    {
        await Sandbox.SystemctlAsync("stop", Unit);
        await Sandbox.SystemctlAsync("reset-failed", Unit);
        await Sandbox.WriteFileAsync("/etc/nimmerverse/nyx.env", "");
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task It_serves_the_shipped_model_as_nyx_cognitive_without_privilege()
    {
        var url = new Uri($"http://127.0.0.1:{Ports.FreeTcpPort()}");
        await Sandbox.WriteFileAsync("/etc/nimmerverse/nyx.env", $"NIMMERVERSE_NYX__LISTEN={url.ToString().TrimEnd('/')}\n");

        var start = await Sandbox.SystemctlAsync("start", Unit);
        Assert.That(start.ExitCode, Is.Zero, start.ToString());

        using var http = new HttpClient();
        var up = await Eventually.TrueAsync(async () =>
        {
            try
            {
                return (await http.GetAsync(new Uri(url, "/health"))).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30));
        Assert.That(up, Is.True, (await Sandbox.JournalctlAsync("-u", Unit, "-n", "30", "-o", "cat")).StandardOutput);

        var answer = await http.PostAsJsonAsync(new Uri(url, "/v1/chat/completions"), new { model = "nyx", messages = new[] { new { role = "user", content = "Once upon a time" } }, max_tokens = 8 });
        var body = await answer.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(body.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), Is.InRange(1, 8), body.ToString());

        var pid = await Sandbox.UnitPropertyAsync(Unit, "MainPID");
        var status = (await Sandbox.RunAsync(["cat", $"/proc/{pid}/status"])).StandardOutput.Split('\n')
            .Select(line => line.Split(':', 2)).Where(f => f.Length == 2).ToDictionary(f => f[0], f => f[1].Trim());
        var uid = WorkloadUsers.UidOf("nyx-cognitive").ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(status["Uid"].Split('\t'), Is.All.EqualTo(uid), "runs as nyx-cognitive");
        Assert.That(status["CapBnd"], Is.EqualTo("0000000000000000"), "bounded to no capability at all");
        Assert.That(status["NoNewPrivs"], Is.EqualTo("1"));
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_bad_setting_fails_the_unit_with_78_and_it_is_not_restarted()
    {
        await Sandbox.WriteFileAsync("/etc/nimmerverse/nyx.env", "NIMMERVERSE_NYX__SCHEDULING=lottery\n");

        await Sandbox.SystemctlAsync("start", Unit);

        var failed = await Eventually.TrueAsync(async () => await Sandbox.UnitPropertyAsync(Unit, "ActiveState") == "failed", TimeSpan.FromSeconds(20));
        Assert.That(failed, Is.True, await Sandbox.UnitPropertyAsync(Unit, "ActiveState"));
        Assert.That(await Sandbox.UnitPropertyAsync(Unit, "ExecMainStatus"), Is.EqualTo("78"));
        Assert.That(await Sandbox.UnitPropertyAsync(Unit, "NRestarts"), Is.EqualTo("0"));
        Assert.That((await Sandbox.JournalctlAsync("-u", Unit, "-o", "cat")).StandardOutput, Does.Contain("Nyx:Scheduling"));
    }
}
