using Nimmerverse.Supervisor.Cli;
using Nimmerverse.Testing;

namespace Nimmerverse.Supervisor.Tests.Cli;

[Category(TestTier.Unit)]
public sealed class CommandLineTests
{
    private static System.CommandLine.ParseResult Parse(params string[] args) => CliRoot.Build(args).Parse(args);

    [TestCase(new string[0], "nimmerverse", null)]
    [TestCase(new[] { "run", "--config", "/etc/x.json" }, "run", "/etc/x.json")]
    [TestCase(new[] { "check-config", "--config=/tmp/y.json" }, "check-config", "/tmp/y.json")]
    [TestCase(new[] { "npc", "7", "rate", "5", "--json", "--url", "http://127.0.0.1:9" }, "rate", null)]
    [TestCase(new[] { "cluster", "down", "akka.tcp://nimmerverse@theia:4053" }, "down", null)]
    public void Verbs_and_the_config_path_are_read(string[] args, string command, string? configFile)
    {
        var parsed = Parse(args);

        Assert.That(parsed.Errors, Is.Empty);
        Assert.That(parsed.CommandResult.Command.Name, Is.EqualTo(command == "nimmerverse" ? parsed.RootCommandResult.Command.Name : command));
        Assert.That(parsed.GetValue<string?>("--config"), Is.EqualTo(configFile));
    }

    [TestCase(new[] { "explode" }, "'explode'")]
    [TestCase(new[] { "run", "--config" }, "--config")]
    [TestCase(new[] { "run", "--frobnicate" }, "'--frobnicate'")]
    [TestCase(new[] { "npc", "7", "rate" }, "'rate'")]
    [TestCase(new[] { "npc", "7", "rate", "fast" }, "'fast'")]
    [TestCase(new[] { "identities", "rotate-key", "/tmp/ids", "qa" }, "'qa'")]
    public void Bad_command_lines_are_refused_naming_the_problem(string[] args, string named)
    {
        var errors = Parse(args).Errors;

        Assert.That(errors, Is.Not.Empty);
        Assert.That(string.Join(" ", errors.Select(e => e.Message)), Does.Contain(named));
    }

    [Test]
    public void A_verb_with_its_own_reader_gets_its_arguments_in_order_without_the_configuration()
    {
        Assert.That(CliRoot.ArgumentsAfter("nats", ["--config", "/c.json", "nats", "sub", "dev.>", "--count", "3", "--config=/d.json"]), Is.EqualTo(new[] { "sub", "dev.>", "--count", "3" }));
        Assert.That(Parse("nats", "sub", "dev.>", "--count", "3").Errors, Is.Empty, "its options are its reader's to judge");
    }

    [Test]
    public async Task The_daemon_exits_78_on_bad_configuration_64_on_a_bad_command_line_and_69_without_a_supervisor()
    {
        var file = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, """{"Nimmerverse": {"Environment": "qa"}}""");
        try
        {
            Assert.That(await Program.Main(["check-config", "--config", file]), Is.EqualTo(78));
            Assert.That(await Program.Main(["explode"]), Is.EqualTo(64));
            Assert.That(await Program.Main(["npc", "7", "pause", "--url", $"http://127.0.0.1:{Ports.FreeTcpPort()}"]), Is.EqualTo(69));
            Assert.That(await Program.Main(["npc", "seven", "pause"]), Is.EqualTo(64), "an id that is not a number");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task Bash_completion_asks_the_binary_itself()
    {
        var output = new StringWriter();

        var code = await CliRoot.InvokeAsync(["completion", "bash"], output, TextWriter.Null);

        Assert.That(code, Is.Zero);
        Assert.That(output.ToString(), Does.Contain("[suggest:${COMP_POINT}]").And.Contain("complete -o default -F _nimmerverse nimmerverse"));
        Assert.That(CliRoot.Build([]).Parse("npc 7 ").GetCompletions().Select(c => c.Label), Is.SupersetOf(new[] { "pause", "resume", "restart", "rate", "quota" }));
    }
}
