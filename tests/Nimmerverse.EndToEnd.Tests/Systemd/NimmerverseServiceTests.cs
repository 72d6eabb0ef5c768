using System.Diagnostics;
using System.Text.Json;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Systemd;

namespace Nimmerverse.EndToEnd.Tests.Systemd;

/// <summary>
/// nimmerverse.service under a real systemd: what a user sees with systemctl and journalctl.
/// </summary>
[Category(TestTier.System)]
[NonParallelizable]
public sealed class NimmerverseServiceTests
{
    private const string Unit = "nimmerverse.service";
    private const string DropInDirectory = "/etc/systemd/system/nimmerverse.service.d";
    private static SystemdSandbox Sandbox => SandboxSetUp.Sandbox;

    [SetUp]
    public async Task StartFromAStoppedUnitWithTheExampleConfig()
    {
        await Sandbox.SystemctlAsync("stop", Unit);
        await Sandbox.SystemctlAsync("reset-failed", Unit);
        var dropIns = $"/proc/{Sandbox.Pid}/root{DropInDirectory}";
        if (Directory.Exists(dropIns))
        {
            Directory.Delete(dropIns, recursive: true);
        }

        await Sandbox.WriteFileAsync("/etc/nimmerverse/nimmerverse.json", await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "systemd", "nimmerverse.json")));
        await Sandbox.WriteFileAsync("/etc/nimmerverse/nimmerverse.env", SandboxSetUp.EnvironmentFile);
        await Sandbox.SystemctlAsync("daemon-reload");
    }

    [OneTimeTearDown]
    public async Task StopTheUnit() => await Sandbox.SystemctlAsync("stop", Unit);

    /// <summary>
    /// The journal entries of the unit's current (or last) invocation, as JSON objects. With <paramref name="mainPid"/>,
    /// also what that process wrote to the unit's output: a process that exits at once can be gone before journald
    /// reads its lines, which then carry the unit (from the stream) but not the invocation (read from the process's
    /// cgroup), and <c>journalctl -u</c> shows them by the unit.
    /// </summary>
    private static async Task<List<JsonElement>> InvocationJournalAsync(string invocationId, string? mainPid = null)
    {
        string[] byProcess = mainPid is null ? [] : ["+", $"_SYSTEMD_UNIT={Unit}", $"_PID={mainPid}"];
        var result = await Sandbox.JournalctlAsync(["-o", "json", "--all", $"_SYSTEMD_INVOCATION_ID={invocationId}", "+", $"INVOCATION_ID={invocationId}", "+", $"USER_INVOCATION_ID={invocationId}", .. byProcess]);
        return [.. result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement)];
    }

    private static async Task<string> JournalTextAsync(string invocationId, string? mainPid = null) =>
        string.Join("\n", (await InvocationJournalAsync(invocationId, mainPid)).Select(e => e.TryGetProperty("MESSAGE", out var m) ? m.ToString() : "?"));

    private static async Task<bool> JournalHasAsync(string invocationId, string text, string? mainPid = null) =>
        (await InvocationJournalAsync(invocationId, mainPid)).Any(e => e.TryGetProperty("MESSAGE", out var m) && m.ValueKind == JsonValueKind.String && m.GetString()!.Contains(text, StringComparison.Ordinal));

    [Test]
    public async Task Start_returns_only_once_the_node_is_up_in_the_cluster_and_the_unit_is_active()
    {
        var start = await Sandbox.SystemctlAsync("start", Unit);

        Assert.That(start.ExitCode, Is.Zero, start.ToString());
        // READY=1 is sent only after MemberUp, so the very first look must already see the member Up.
        using var http = new HttpClient { BaseAddress = SandboxSetUp.HttpBase };
        var status = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/status", UriKind.Relative))).RootElement;
        Assert.That(status.GetProperty("members")[0].GetProperty("status").GetString(), Is.EqualTo("Up"));
        Assert.That((await Sandbox.SystemctlAsync("is-active", Unit)).StandardOutput.Trim(), Is.EqualTo("active"));
    }

    [Test]
    public async Task The_installed_daemon_answers_a_math_request_from_any_nats_client()
    {
        await Sandbox.SystemctlAsync("start", Unit);
        await using var client = new NATS.Client.Core.NatsConnection(new NATS.Client.Core.NatsOpts { Url = SandboxSetUp.Nats.Url });
        var request = WireCodec.Default.Encode(Envelopes.Of(new MessageSource("e2e", "test", 1), new CellRequestBody("div", [84, 2])));

        Decoded<CellResponseBody> answer = default;
        var answered = await Eventually.TrueAsync(async () =>
        {
            try
            {
                var reply = await client.RequestAsync<byte[], byte[]>("dev.nervous.cells.math.request", request,
                    replyOpts: new NATS.Client.Core.NatsSubOpts { Timeout = TimeSpan.FromSeconds(2) });
                answer = WireCodec.Default.Decode<CellResponseBody>(reply.Data);
                return answer.Envelope is not null;
            }
            catch (NATS.Client.Core.NatsNoRespondersException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(15));

        Assert.That(answered, Is.True);
        Assert.That(answer.Envelope!.Body.Result, Is.EqualTo(42));
    }

    [Test]
    public async Task Systemctl_status_shows_the_status_line_and_follows_the_nats_connection()
    {
        await Sandbox.SystemctlAsync("start", Unit);
        // Under the sandbox's systemd the brains get scopes: the line names the backend (the cortex's part follows).
        const string expected = "Status: \"running; cluster: 1 member (1 up); nats: open; npcs: systemd; cortex: breaker closed";

        // READY does not wait for NATS; the line is refreshed when something in it changes.
        var shown = await Eventually.TrueAsync(async () => (await Sandbox.SystemctlAsync("status", Unit)).StandardOutput.Contains(expected, StringComparison.Ordinal), TimeSpan.FromSeconds(15));

        Assert.That(shown, Is.True, (await Sandbox.SystemctlAsync("status", Unit)).StandardOutput);
    }

    [Test]
    public async Task The_journal_carries_structured_fields_that_journalctl_can_filter_on()
    {
        await Sandbox.SystemctlAsync("start", Unit);
        var invocation = await Sandbox.UnitPropertyAsync(Unit, "InvocationID");

        var up = (await InvocationJournalAsync(invocation)).Single(e =>
            e.TryGetProperty("MESSAGE_TEMPLATE", out var t) && t.GetString()!.StartsWith("Supervisor {HostName} is up", StringComparison.Ordinal));

        Assert.That(up.GetProperty("SYSLOG_IDENTIFIER").GetString(), Is.EqualTo("nimmerverse"));
        Assert.That(up.GetProperty("NIMMERVERSE_ENV").GetString(), Is.EqualTo("dev"));
        Assert.That(up.GetProperty("NIMMERVERSE_HOST").GetString(), Is.EqualTo(SandboxSetUp.HostName));
        Assert.That(up.GetProperty("PRIORITY").GetString(), Is.EqualTo("6"));
        Assert.That(up.GetProperty("_SYSTEMD_UNIT").GetString(), Is.EqualTo(Unit));
        Assert.That(up.GetProperty("_TRANSPORT").GetString(), Is.EqualTo("journal"), "sent over the native protocol, not stdout");
        var address = up.GetProperty("CLUSTER_ADDRESS").GetString()!;
        Assert.That(address, Does.StartWith("akka.tcp://nimmerverse@127.0.0.1:"));

        var filtered = await Sandbox.JournalctlAsync("-u", "nimmerverse", $"CLUSTER_ADDRESS={address}", "-o", "cat");
        Assert.That(filtered.StandardOutput, Does.Contain($"Supervisor {SandboxSetUp.HostName} is up in the cluster as {address}"));
        var akkaLine = (await InvocationJournalAsync(invocation)).First(e => e.TryGetProperty("ACTOR_PATH", out _));
        Assert.That(akkaLine.GetProperty("ACTOR_PATH").GetString(), Does.StartWith("akka://nimmerverse/"), "Akka's own logs go through Serilog with their properties");
    }

    [Test]
    public async Task Stop_leaves_the_cluster_and_ends_cleanly_within_a_few_seconds()
    {
        await Sandbox.SystemctlAsync("start", Unit);
        var invocation = await Sandbox.UnitPropertyAsync(Unit, "InvocationID");

        var clock = Stopwatch.StartNew();
        var stop = await Sandbox.SystemctlAsync("stop", Unit);
        clock.Stop();

        Assert.That(stop.ExitCode, Is.Zero, stop.ToString());
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));
        Assert.That(await Sandbox.UnitPropertyAsync(Unit, "Result"), Is.EqualTo("success"));
        Assert.That(await Sandbox.UnitPropertyAsync(Unit, "ExecMainStatus"), Is.EqualTo("0"));
        Assert.That(await Eventually.TrueAsync(() => JournalHasAsync(invocation, "stopped with exit code 0"), TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(await JournalHasAsync(invocation, "as [Leaving]"), Is.True, "the node left the cluster gracefully");
    }

    [Test]
    public async Task A_bad_config_fails_the_unit_with_status_78_naming_the_key_and_is_not_restarted()
    {
        await Sandbox.WriteFileAsync("/etc/nimmerverse/nimmerverse.json", """{"Nimmerverse": {"Environment": "qa", "Systemd": {"JoinTimeout": "soon"}}}""");

        var start = await Sandbox.SystemctlAsync("start", Unit);

        Assert.That(start.ExitCode, Is.Not.Zero);
        Assert.That(await Sandbox.UnitPropertyAsync(Unit, "ExecMainStatus"), Is.EqualTo("78"));
        Assert.That(await Sandbox.UnitPropertyAsync(Unit, "Result"), Is.EqualTo("exit-code"));
        var invocation = await Sandbox.UnitPropertyAsync(Unit, "InvocationID");
        // It exits within milliseconds: its lines may have lost their invocation (above), so they are also looked up by its PID.
        var mainPid = await Sandbox.UnitPropertyAsync(Unit, "ExecMainPID");
        // journald may lag behind a loaded machine (CI runs the suites side by side): wait for it generously.
        Assert.That(await Eventually.TrueAsync(() => JournalHasAsync(invocation, "Nimmerverse:Environment", mainPid), TimeSpan.FromSeconds(30)), Is.True, await JournalTextAsync(invocation, mainPid));
        Assert.That(await JournalHasAsync(invocation, "Nimmerverse:Systemd:JoinTimeout", mainPid), Is.True, await JournalTextAsync(invocation, mainPid));
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.That(await Sandbox.UnitPropertyAsync(Unit, "NRestarts"), Is.EqualTo("0"), "RestartPreventExitStatus=78 stops a restart loop");
        Assert.That(await Sandbox.UnitPropertyAsync(Unit, "ActiveState"), Is.EqualTo("failed"));
    }

    [Test]
    public async Task A_wedged_actor_system_is_killed_by_the_watchdog_and_restarted()
    {
        await Sandbox.WriteFileAsync($"{DropInDirectory}/wedge.conf", """
            [Service]
            WatchdogSec=3s
            Environment=NV_FAULT_WEDGE_ACTOR_SYSTEM_AFTER=00:00:04
            LimitCORE=0
            """);
        await Sandbox.SystemctlAsync("daemon-reload");
        await Sandbox.SystemctlAsync("start", Unit);
        var firstPid = await Sandbox.UnitPropertyAsync(Unit, "MainPID");
        var firstInvocation = await Sandbox.UnitPropertyAsync(Unit, "InvocationID");

        var restarted = await Eventually.TrueAsync(
            async () => int.Parse(await Sandbox.UnitPropertyAsync(Unit, "NRestarts"), System.Globalization.CultureInfo.InvariantCulture) >= 1,
            TimeSpan.FromSeconds(40), TimeSpan.FromMilliseconds(500));

        Assert.That(restarted, Is.True, "systemd restarted the unit");
        Assert.That(await JournalHasAsync(firstInvocation, "did not answer the health probe"), Is.True, "the supervisor saw the wedge and withheld its pings");
        var watchdogFired = await Sandbox.JournalctlAsync("-u", "nimmerverse", "-o", "cat", "--grep", "Watchdog timeout");
        Assert.That(watchdogFired.StandardOutput, Does.Contain("Watchdog timeout"));
        Assert.That(await Eventually.TrueAsync(async () => await Sandbox.UnitPropertyAsync(Unit, "MainPID") is var pid && pid != "0" && pid != firstPid, TimeSpan.FromSeconds(10)), Is.True);
    }

    [Test]
    public async Task Under_systemd_each_brain_runs_in_its_own_scope_with_its_limits_and_stops_with_the_supervisor()
    {
        // The environment file, not a drop-in: systemd lets EnvironmentFile= win over Environment=.
        await Sandbox.WriteFileAsync("/etc/nimmerverse/nimmerverse.env", SandboxSetUp.EnvironmentFile.Replace("NIMMERVERSE_NPC__POPULATION=0", """
            NIMMERVERSE_NPC__POPULATION=1
            NIMMERVERSE_NPC__CPUQUOTAPERCENT=30
            NIMMERVERSE_NPC__MEMORYMAXMIB=200
            """, StringComparison.Ordinal));
        var start = await Sandbox.SystemctlAsync("start", Unit);
        Assert.That(start.ExitCode, Is.Zero, start.ToString());
        const string scope = "nimmerverse-npc-0.scope";

        var scoped = await Eventually.TrueAsync(async () => await Sandbox.UnitPropertyAsync(scope, "ActiveState") == "active", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(250));

        Assert.That(scoped, Is.True, (await Sandbox.JournalctlAsync("-u", "nimmerverse", "-n", "40", "-o", "cat")).StandardOutput);
        var controlGroup = await Sandbox.UnitPropertyAsync(scope, "ControlGroup");
        Assert.That(controlGroup, Is.EqualTo("/nimmerverse.slice/nimmerverse-npcs.slice/nimmerverse-npc-0.scope"));
        // 100 % (the start-up quota) until the brain's first state, then its own 30 %.
        var ownQuota = await Eventually.TrueAsync(async () => (await File.ReadAllTextAsync($"/sys/fs/cgroup/cpu{controlGroup}/cpu.cfs_quota_us")).Trim() == "30000", TimeSpan.FromSeconds(30));
        Assert.That(ownQuota, Is.True, "the brain's own CPU quota after its start-up");
        Assert.That((await File.ReadAllTextAsync($"/sys/fs/cgroup/memory{controlGroup}/memory.limit_in_bytes")).Trim(), Is.EqualTo((200L * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var brains = (await File.ReadAllTextAsync($"/sys/fs/cgroup/pids{controlGroup}/cgroup.procs")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(brains, Has.Length.EqualTo(1), "the brain, and nothing else, is in its scope");
        Assert.That(await File.ReadAllTextAsync($"/proc/{brains[0]}/cmdline"), Does.Contain("nimmerverse-brain").And.Contain("--id\00\0"));
        var status = await Sandbox.SystemctlAsync("show", Unit, "-p", "StatusText");
        Assert.That(status.StandardOutput, Does.Contain("npcs: systemd"));

        var stop = await Sandbox.SystemctlAsync("stop", Unit);

        Assert.That(stop.ExitCode, Is.Zero, stop.ToString());
        Assert.That(await Sandbox.UnitPropertyAsync(scope, "ActiveState"), Is.EqualTo("inactive"), "the supervisor stopped its brain on the way out");
        Assert.That(Directory.Exists($"/proc/{brains[0]}"), Is.False);
        var journal = await Sandbox.JournalctlAsync("-u", "nimmerverse", "-o", "cat", "NPC_ID=0");
        Assert.That(journal.StandardOutput, Does.Contain("runs in nimmerverse-npc-0.scope"));
    }

    [Test]
    public async Task Under_systemd_a_loaded_organ_runs_in_its_own_scope_under_the_organs_slice_and_ends_with_the_supervisor()
    {
        var start = await Sandbox.SystemctlAsync("start", Unit);
        Assert.That(start.ExitCode, Is.Zero, start.ToString());
        await using var client = new NATS.Client.Core.NatsConnection(new NATS.Client.Core.NatsOpts { Url = SandboxSetUp.Nats.Url });
        var request = OrganRequestBody.Codec.Encode(Envelopes.Of(new MessageSource("e2e", "test", 1), new OrganRequestBody("operator", Text: "stop", TimeoutMs: 30_000)));

        OrganResponseBody? answer = null;
        var answered = await Eventually.TrueAsync(async () =>
        {
            try
            {
                var reply = await client.RequestAsync<byte[], byte[]>("dev.organs.speech.speak", request, replyOpts: new NATS.Client.Core.NatsSubOpts { Timeout = TimeSpan.FromSeconds(30) });
                answer = OrganRequestBody.Codec.Decode<OrganResponseBody>(reply.Data).Envelope?.Body;
                return answer is not null;
            }
            catch (NATS.Client.Core.NatsNoRespondersException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30));
        Assert.That(answered, Is.True, "the organs listen");
        Assert.That(answer!.Status, Is.EqualTo(RequestStatus.Answered), answer.Detail);

        var units = (await Sandbox.SystemctlAsync("list-units", "--no-legend", "--plain", "nimmerverse-organ-*")).StandardOutput
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(' ')[0]).ToList();
        Assert.That(units, Has.Count.EqualTo(1).And.All.Match(@"^nimmerverse-organ-text-to-speech-\d+\.scope$"), "one scope, the voice's");
        var scope = units[0];
        var controlGroup = await Sandbox.UnitPropertyAsync(scope, "ControlGroup");
        Assert.That(controlGroup, Is.EqualTo($"/nimmerverse.slice/nimmerverse-organs.slice/{scope}"));
        // The scope's name has the pid the supervisor sees inside the sandbox; the cgroup lists it as seen from here.
        var organs = (await File.ReadAllTextAsync($"/sys/fs/cgroup/pids{controlGroup}/cgroup.procs")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(organs, Has.Length.EqualTo(1), "the organ, and nothing else, is in its scope");
        var pid = organs[0];
        Assert.That(await File.ReadAllTextAsync($"/proc/{pid}/cmdline"), Does.Contain("nimmerverse-organ").And.Contain("text-to-speech"), "the scope holds the organ itself (setpriv execs in place)");
        // The installed configuration names its user (Organs:User); install made it from the sysusers file.
        var status = File.ReadLines($"/proc/{pid}/status").Select(line => line.Split(':', 2)).ToDictionary(f => f[0], f => f[1].Trim());
        var uid = WorkloadUsers.UidOf(WorkloadUsers.Organs).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(status["Uid"].Split('\t'), Is.All.EqualTo(uid), $"the organ runs as {WorkloadUsers.Organs}");
        Assert.That((status["NoNewPrivs"], status["CapEff"]), Is.EqualTo(("1", "0000000000000000")), "with no privilege left");

        var stop = await Sandbox.SystemctlAsync("stop", Unit);

        Assert.That(stop.ExitCode, Is.Zero, stop.ToString());
        Assert.That(Directory.Exists($"/proc/{pid}"), Is.False, "the organ ended with its supervisor");
        Assert.That(await Eventually.TrueAsync(async () => await Sandbox.UnitPropertyAsync(scope, "ActiveState") is "inactive" or "", TimeSpan.FromSeconds(10)), Is.True, "and its scope with it");
    }
}
