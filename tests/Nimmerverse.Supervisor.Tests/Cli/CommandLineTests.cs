using Nimmerverse.Supervisor.Cli;
using Nimmerverse.Testing;

namespace Nimmerverse.Supervisor.Tests.Cli;

[Category(TestTier.Unit)]
public sealed class CommandLineTests
{
    [Test]
    public void No_arguments_runs_the_daemon()
    {
        var (parsed, error) = CommandLine.Parse([]);

        Assert.That(error, Is.Null);
        Assert.That(parsed!.Verb, Is.EqualTo("run"));
        Assert.That(parsed.ConfigFile, Is.Null);
    }

    [TestCase(new[] { "run", "--config", "/etc/x.json" }, "run", "/etc/x.json")]
    [TestCase(new[] { "check-config", "--config=/tmp/y.json" }, "check-config", "/tmp/y.json")]
    [TestCase(new[] { "--version" }, "version", null)]
    [TestCase(new[] { "-h" }, "help", null)]
    public void Verbs_and_the_config_path_are_read(string[] args, string verb, string? configFile)
    {
        var (parsed, _) = CommandLine.Parse(args);

        Assert.That(parsed!.Verb, Is.EqualTo(verb));
        Assert.That(parsed.ConfigFile, Is.EqualTo(configFile));
    }

    [TestCase(new[] { "explode" }, "unknown command 'explode'")]
    [TestCase(new[] { "run", "--config" }, "--config needs a path")]
    [TestCase(new[] { "run", "--frobnicate" }, "unexpected argument '--frobnicate'")]
    public void Bad_command_lines_are_refused_with_a_reason(string[] args, string reason)
    {
        var (parsed, error) = CommandLine.Parse(args);

        Assert.That(parsed, Is.Null);
        Assert.That(error, Is.EqualTo(reason));
    }

    [Test]
    public async Task The_daemon_exits_78_on_bad_configuration_and_64_on_a_bad_command_line()
    {
        var file = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, """{"Nimmerverse": {"Environment": "qa"}}""");
        try
        {
            Assert.That(await Program.Main(["check-config", "--config", file]), Is.EqualTo(78));
            Assert.That(await Program.Main(["explode"]), Is.EqualTo(64));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
