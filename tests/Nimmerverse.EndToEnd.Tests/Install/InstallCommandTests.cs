using Nimmerverse.Testing;

namespace Nimmerverse.EndToEnd.Tests.Install;

/// <summary><c>./nimmerverse install --root DIR</c>: the files a package would ship, laid out under DIR.</summary>
[Category(TestTier.Integration)]
public sealed class InstallCommandTests
{
    private string _root = null!;

    [SetUp]
    public async Task PublishAndMakeRoot()
    {
        await Published.EnsureAsync();
        _root = Directory.CreateTempSubdirectory("nimmerverse-root-").FullName;
        // As a real root is: the brains' user must reach the installed brain.
        if (OperatingSystem.IsLinux())
        {
            File.SetUnixFileMode(_root, (UnixFileMode)0b111_101_101);
        }
    }

    [TearDown]
    public void RemoveRoot() => Directory.Delete(_root, recursive: true);

    private async Task<ProcessResult> InstallAsync(string prefix) =>
        await ProcessRunner.RunAsync(Path.Combine(RepositoryPaths.Root, "nimmerverse"), ["install", "--prefix", prefix, "--root", _root],
            new Dictionary<string, string> { ["NV_PUBLISH_DIR"] = RepositoryPaths.PublishDirectory });

    [Test]
    public async Task Install_lays_out_binaries_unit_and_config_under_the_prefix()
    {
        var result = await InstallAsync("/srv/nv");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(File.Exists(Path.Combine(_root, "srv/nv/bin/nimmerverse")), Is.True);
        Assert.That(File.Exists(Path.Combine(_root, "srv/nv/bin/brain/nimmerverse-brain")), Is.True, "the brain ships beside the supervisor that spawns it, where Npc:BrainPath looks by default");
        Assert.That(File.Exists(Path.Combine(_root, "srv/nv/bin/organ/nimmerverse-organ")), Is.True, "so does the organ process, where Organs:Executable looks by default");
        Assert.That(File.Exists(Path.Combine(_root, "srv/nv/bin/organ/grammars/commands.jsgf")), Is.True, "with the commands the ear knows");
        var unit = await File.ReadAllTextAsync(Path.Combine(_root, "etc/systemd/system/nimmerverse.service"));
        Assert.That(unit, Does.Contain("ExecStart=/srv/nv/bin/nimmerverse run --config /etc/nimmerverse/nimmerverse.json"));
        Assert.That(unit, Does.Not.Contain("/opt/nimmerverse"));
        var slice = await File.ReadAllTextAsync(Path.Combine(_root, "etc/systemd/system/nimmerverse-npcs.slice"));
        Assert.That(slice, Does.Contain("[Slice]").And.Contain("file:///srv/nv/README.md"));
        Assert.That(await File.ReadAllTextAsync(Path.Combine(_root, "etc/systemd/system/nimmerverse-organs.slice")), Does.Contain("[Slice]"), "the loaded organs' slice");
        Assert.That(File.Exists(Path.Combine(_root, "etc/nimmerverse/nimmerverse.json")), Is.True);
        Assert.That(File.Exists(Path.Combine(_root, "etc/nimmerverse/nimmerverse.env")), Is.True);
        Assert.That(result.StandardError, Does.Contain("systemctl enable --now nimmerverse"));
        var nyx = await File.ReadAllTextAsync(Path.Combine(_root, "etc/systemd/system/nimmerverse-nyx.service"));
        Assert.That(nyx, Does.Contain("ExecStart=/srv/nv/bin/nyx/nimmerverse-nyx --config /etc/nimmerverse/nyx.json").And.Contain("User=nyx-cognitive"));
        Assert.That(File.Exists(Path.Combine(_root, "srv/nv/bin/nyx/models/stories260K.gguf")), Is.True, "the tiny model ships with the server");
        Assert.That(File.Exists(Path.Combine(_root, "etc/nimmerverse/nyx.json")), Is.True);
    }

    [Test]
    public async Task Install_creates_the_workloads_users_in_the_root_and_a_second_install_changes_nothing()
    {
        var first = await InstallAsync("/opt/nimmerverse");
        Assert.That(first.ExitCode, Is.Zero, first.ToString());
        var passwd = await File.ReadAllTextAsync(Path.Combine(_root, "etc/passwd"));
        var group = await File.ReadAllTextAsync(Path.Combine(_root, "etc/group"));

        foreach (var user in new[] { "nyx-cognitive", "nyx-training", "nyx-organs", "nyx-nervous" })
        {
            var entry = passwd.Split('\n').SingleOrDefault(line => line.StartsWith(user + ":", StringComparison.Ordinal));
            Assert.That(entry, Is.Not.Null, $"{user} in {_root}/etc/passwd:\n{passwd}");
            Assert.That(entry!.Split(':')[6], Does.EndWith("nologin"), $"{user} has no login shell");
            Assert.That(int.Parse(entry.Split(':')[2], System.Globalization.CultureInfo.InvariantCulture), Is.LessThan(1000), $"{user} is a system user");
        }

        Assert.That(group, Does.Match("(?m)^nimmerverse-agents:x:\\d+:.*nyx-nervous"), "the brains' user is in the agents' group");
        Assert.That(File.Exists(Path.Combine(_root, "usr/lib/sysusers.d/nimmerverse.conf")), Is.True, "the sysusers file ships, for systemd-sysusers at every boot");

        var second = await InstallAsync("/opt/nimmerverse");
        Assert.That(second.ExitCode, Is.Zero, second.ToString());
        Assert.That(await File.ReadAllTextAsync(Path.Combine(_root, "etc/passwd")), Is.EqualTo(passwd), "applied again, nothing changes");
    }

    [Test]
    public async Task Install_stops_with_the_path_when_the_users_cannot_be_written()
    {
        Directory.CreateDirectory(Path.Combine(_root, "etc"));
        await File.WriteAllTextAsync(Path.Combine(_root, "etc/passwd"), "");
        // A read-only mount is what stops root; an immutable-like stand-in: /etc/passwd a folder.
        File.Delete(Path.Combine(_root, "etc/passwd"));
        Directory.CreateDirectory(Path.Combine(_root, "etc/passwd"));

        var result = await InstallAsync("/opt/nimmerverse");

        Assert.That(result.ExitCode, Is.Not.Zero, result.ToString());
        Assert.That(result.StandardError, Does.Contain($"{_root}/usr/lib/sysusers.d/nimmerverse.conf").And.Contain($"{_root}/etc/passwd"));
    }

    [Test]
    public async Task A_second_install_keeps_the_users_configuration()
    {
        await InstallAsync("/opt/nimmerverse");
        var config = Path.Combine(_root, "etc/nimmerverse/nimmerverse.json");
        const string mine = """{"Nimmerverse": {"Environment": "prod"}}""";
        await File.WriteAllTextAsync(config, mine);

        var again = await InstallAsync("/opt/nimmerverse");

        Assert.That(again.ExitCode, Is.Zero, again.ToString());
        Assert.That(await File.ReadAllTextAsync(config), Is.EqualTo(mine));
        Assert.That(File.Exists(config + ".example"), Is.True);
    }

    [Test]
    public async Task The_installed_binary_checks_the_installed_config()
    {
        // The config runs the brains as nyx-nervous, which the check looks up on this machine.
        await WorkloadUsers.EnsureAsync();
        await InstallAsync("/opt/nimmerverse");

        var check = await ProcessRunner.RunAsync(Path.Combine(_root, "opt/nimmerverse/bin/nimmerverse"),
            ["check-config", "--config", Path.Combine(_root, "etc/nimmerverse/nimmerverse.json")]);

        Assert.That(check.ExitCode, Is.Zero, check.ToString());
        Assert.That(check.StandardOutput, Does.Contain("configuration is valid"));
    }
}
