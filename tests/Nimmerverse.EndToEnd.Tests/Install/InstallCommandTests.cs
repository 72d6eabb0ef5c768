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
        var unit = await File.ReadAllTextAsync(Path.Combine(_root, "etc/systemd/system/nimmerverse.service"));
        Assert.That(unit, Does.Contain("ExecStart=/srv/nv/bin/nimmerverse run --config /etc/nimmerverse/nimmerverse.json"));
        Assert.That(unit, Does.Not.Contain("/opt/nimmerverse"));
        var slice = await File.ReadAllTextAsync(Path.Combine(_root, "etc/systemd/system/nimmerverse-npcs.slice"));
        Assert.That(slice, Does.Contain("[Slice]").And.Contain("file:///srv/nv/README.md"));
        Assert.That(File.Exists(Path.Combine(_root, "etc/nimmerverse/nimmerverse.json")), Is.True);
        Assert.That(File.Exists(Path.Combine(_root, "etc/nimmerverse/nimmerverse.env")), Is.True);
        Assert.That(result.StandardError, Does.Contain("systemctl enable --now nimmerverse"));
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
        await InstallAsync("/opt/nimmerverse");

        var check = await ProcessRunner.RunAsync(Path.Combine(_root, "opt/nimmerverse/bin/nimmerverse"),
            ["check-config", "--config", Path.Combine(_root, "etc/nimmerverse/nimmerverse.json")]);

        Assert.That(check.ExitCode, Is.Zero, check.ToString());
        Assert.That(check.StandardOutput, Does.Contain("configuration is valid"));
    }
}
