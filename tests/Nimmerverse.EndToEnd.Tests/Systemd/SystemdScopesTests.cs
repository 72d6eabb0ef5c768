using System.Globalization;
using Nimmerverse.Actors.Npc;
using Nimmerverse.Supervisor.Lifecycle;
using Nimmerverse.Supervisor.NpcScopes;
using Nimmerverse.Testing;

namespace Nimmerverse.EndToEnd.Tests.Systemd;

/// <summary>
/// The D-Bus client against the sandbox's real systemd (its system bus reached through
/// <c>/proc/PID/root</c>): scopes, limits in the kernel's own cgroup files, runtime changes,
/// listing, stopping, and errors that say what failed.
/// </summary>
[Category(TestTier.System)]
public sealed class SystemdScopesTests
{
    private static readonly long MiB = 1024 * 1024;
    private DBusSystemdScopes _scopes = null!;

    [OneTimeSetUp]
    public async Task Connect() =>
        _scopes = await DBusSystemdScopes.ConnectAsync($"unix:path=/proc/{SandboxSetUp.Sandbox.Pid}/root/run/dbus/system_bus_socket");

    [OneTimeTearDown]
    public async Task Disconnect() => await _scopes.DisposeAsync();

    /// <summary>A process inside the sandbox (its PID as the sandbox's systemd sees it).</summary>
    private static async Task<int> StartSleeperAsync()
    {
        var started = await SandboxSetUp.Sandbox.RunAsync(["sh", "-c", "sleep 300 >/dev/null 2>&1 & echo $!"]);
        Assert.That(started.ExitCode, Is.Zero, started.ToString());
        return int.Parse(started.StandardOutput.Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>A controller's file of a cgroup, cgroup v1 (this machine) or v2.</summary>
    private static string CgroupFile(string controlGroup, string v1Controller, string v1File, string v2File) =>
        File.Exists("/sys/fs/cgroup/cgroup.controllers")
            ? File.ReadAllText($"/sys/fs/cgroup{controlGroup}/{v2File}").Trim()
            : File.ReadAllText($"/sys/fs/cgroup/{v1Controller}{controlGroup}/{v1File}").Trim();

    [Test]
    public async Task A_process_gets_its_scope_under_the_npc_slice_with_limits_the_kernel_enforces_and_they_change_at_runtime()
    {
        var unit = NpcScopeName.For(7);
        var pid = await StartSleeperAsync();

        await _scopes.StartScopeAsync(unit, [pid], new ScopeLimits(20, 64 * MiB, 32), "NPC 7 brain (test)", default);

        var status = await _scopes.GetStatusAsync(unit, default);
        Assert.That(status, Is.Not.Null);
        Assert.That((status!.ActiveState, status.SubState), Is.EqualTo(("active", "running")));
        Assert.That(status.ControlGroup, Is.EqualTo("/nimmerverse.slice/nimmerverse-npcs.slice/nimmerverse-npc-7.scope"));
        var v2 = File.Exists("/sys/fs/cgroup/cgroup.controllers");
        Assert.That(CgroupFile(status.ControlGroup, "cpu", "cpu.cfs_quota_us", "cpu.max"), Is.EqualTo(v2 ? "20000 100000" : "20000"));
        Assert.That(CgroupFile(status.ControlGroup, "memory", "memory.limit_in_bytes", "memory.max"), Is.EqualTo((64 * MiB).ToString(CultureInfo.InvariantCulture)));
        Assert.That(CgroupFile(status.ControlGroup, "pids", "pids.max", "pids.max"), Is.EqualTo("32"));
        Assert.That(await _scopes.ListScopesAsync(default), Does.Contain(unit));

        await _scopes.SetLimitsAsync(unit, new ScopeLimits(50, 128 * MiB, 32), default);

        Assert.That(CgroupFile(status.ControlGroup, "cpu", "cpu.cfs_quota_us", "cpu.max"), Is.EqualTo(v2 ? "50000 100000" : "50000"));
        Assert.That(CgroupFile(status.ControlGroup, "memory", "memory.limit_in_bytes", "memory.max"), Is.EqualTo((128 * MiB).ToString(CultureInfo.InvariantCulture)));

        await _scopes.StopAsync(unit, default);

        Assert.That(await _scopes.GetStatusAsync(unit, default), Is.Null.Or.Property(nameof(ScopeStatus.ActiveState)).EqualTo("inactive"));
        Assert.That(await _scopes.ListScopesAsync(default), Does.Not.Contain(unit));
        Assert.That(Directory.Exists($"/proc/{SandboxSetUp.Sandbox.Pid}/root/proc/{pid}/"), Is.False, "stopping the scope ended its process");
    }

    [Test]
    public async Task A_cpu_burning_process_limited_to_20_percent_uses_20_percent_of_a_core_by_the_cgroups_own_accounting()
    {
        var unit = NpcScopeName.For(10);
        var started = await SandboxSetUp.Sandbox.RunAsync(["sh", "-c", "sh -c 'while :; do :; done' >/dev/null 2>&1 & echo $!"]);
        var pid = int.Parse(started.StandardOutput.Trim(), CultureInfo.InvariantCulture);
        await _scopes.StartScopeAsync(unit, [pid], new ScopeLimits(20, 64 * MiB, 32), "CPU burner (test)", default);
        try
        {
            var controlGroup = (await _scopes.GetStatusAsync(unit, default))!.ControlGroup;
            Assert.That(await _scopes.GetProcessesAsync(unit, default), Is.EqualTo(new[] { pid }));
            await Task.Delay(500); // past the first CFS periods

            var (before, clock) = (CpuNanoseconds(controlGroup), System.Diagnostics.Stopwatch.StartNew());
            await Task.Delay(TimeSpan.FromSeconds(5));
            var share = (CpuNanoseconds(controlGroup) - before) / (clock.Elapsed.TotalMilliseconds * 1e6);

            TestContext.Out.WriteLine($"CPU used under a 20 % quota: {share:P1} of a core over {clock.Elapsed.TotalSeconds:F1} s");
            Assert.That(share, Is.InRange(0.15, 0.25));
        }
        finally
        {
            await _scopes.StopAsync(unit, default);
        }
    }

    /// <summary>
    /// CPU time the cgroup has used, from the kernel's own accounting: <c>cpu.stat</c>'s usage_usec
    /// on v2, and on a hybrid v1 machine (this one) in the unified hierarchy systemd keeps beside
    /// the v1 controllers, since here cpuacct is mounted apart from cpu and systemd leaves it alone.
    /// </summary>
    private static double CpuNanoseconds(string controlGroup)
    {
        foreach (var root in (string[])["/sys/fs/cgroup", "/sys/fs/cgroup/unified"])
        {
            var stat = $"{root}{controlGroup}/cpu.stat";
            if (File.Exists(stat) && File.ReadAllLines(stat).FirstOrDefault(l => l.StartsWith("usage_usec ", StringComparison.Ordinal)) is { } usage)
            {
                return double.Parse(usage["usage_usec ".Length..], CultureInfo.InvariantCulture) * 1000;
            }
        }

        return double.Parse(File.ReadAllText($"/sys/fs/cgroup/cpuacct{controlGroup}/cpuacct.usage").Trim(), CultureInfo.InvariantCulture);
    }

    [Test]
    public async Task A_signal_reaches_every_process_of_the_scope_and_its_end_is_announced()
    {
        var unit = NpcScopeName.For(8);
        var pid = await StartSleeperAsync();
        await _scopes.StartScopeAsync(unit, [pid], NpcHostSettings.Default.Limits, "NPC 8 brain (test)", default);

        var states = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var watch = await _scopes.WatchStateAsync(unit, states.Enqueue, default);

        await _scopes.KillAsync(unit, 9, default);

        Assert.That(await Nimmerverse.Testing.Eventually.TrueAsync(() => Task.FromResult(states.Contains("inactive") || states.Contains("failed")), TimeSpan.FromSeconds(10)), Is.True,
            $"PropertiesChanged told the end: {string.Join(", ", states)}");
        var gone = await Nimmerverse.Testing.Eventually.TrueAsync(async () => await _scopes.GetStatusAsync(unit, default) is null or { ActiveState: "inactive" or "failed" }, TimeSpan.FromSeconds(10));
        Assert.That(gone, Is.True, "the scope ended with its only process");
        await _scopes.ResetFailedAsync(unit, default).ContinueWith(_ => { }, TaskScheduler.Default); // nothing to reset when it was collected
    }

    [Test]
    public void A_scope_for_a_process_that_does_not_exist_fails_with_systemds_reason()
    {
        var error = Assert.ThrowsAsync<Tmds.DBus.Protocol.DBusErrorReplyException>(() =>
            _scopes.StartScopeAsync(NpcScopeName.For(9), [999_999], NpcHostSettings.Default.Limits, "nobody", default))!;

        Assert.That(error.Message, Does.Contain("999999").Or.Contain("PID"));
    }

    [Test]
    public async Task An_unknown_scope_has_no_status()
    {
        Assert.That(await _scopes.GetStatusAsync(NpcScopeName.For(424242), default), Is.Null);
    }
}
