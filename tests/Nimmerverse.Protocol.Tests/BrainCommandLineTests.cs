using Nimmerverse.Testing;

namespace Nimmerverse.Protocol.Tests;

[Category(TestTier.Unit)]
public sealed class BrainCommandLineTests
{
    [Test]
    public void The_lab_command_line_is_understood()
    {
        var (parsed, error) = BrainCommandLine.Parse(["--id", "7", "--tick-rate", "5", "--env", "staging", "--nats", "nats://10.0.0.2:4222", "--seed", "-3", "--role", "large", "--checkpoint-every", "60"]);

        Assert.That(error, Is.Null);
        Assert.That(parsed, Is.EqualTo(new BrainCommandLine(7, 5, "staging", new Uri("nats://10.0.0.2:4222"), -3, "large", TimeSpan.FromMinutes(1))));
    }

    [Test]
    public void Only_the_id_is_required()
    {
        var (parsed, _) = BrainCommandLine.Parse(["--id", "0"]);

        Assert.That(parsed, Is.EqualTo(new BrainCommandLine(0, 5, "dev", new Uri(BrainCommandLine.DefaultNatsUrl), 0, "medium", TimeSpan.FromSeconds(30))));
    }

    [Test]
    public void What_the_supervisor_builds_the_brain_parses_back_unchanged()
    {
        BrainCommandLine[] lines =
        [
            BrainCommandLine.For(7, 12.5, "prod", new Uri("nats://10.0.0.2:4222"), "small"),
            BrainCommandLine.For(8, 5, "dev", new Uri("nats://127.0.0.1:4222"), "medium", lease: TimeSpan.FromSeconds(4.5)),
            BrainCommandLine.For(9, 5, "dev", new Uri("nats://127.0.0.1:4222"), "large") with { Fresh = true },
            new(1_000_000, TickRates.MinHz, "staging", new Uri("tls://nats.lab:4443"), -42, "large", TimeSpan.FromSeconds(3600)),
        ];

        foreach (var line in lines)
        {
            var (parsed, error) = BrainCommandLine.Parse(line.ToArguments());

            Assert.That(error, Is.Null, string.Join(' ', line.ToArguments()));
            Assert.That(parsed, Is.EqualTo(line));
        }
    }

    [Test]
    public void A_default_seed_and_checkpoint_interval_are_left_off_the_command_line()
    {
        var arguments = BrainCommandLine.For(3, 5, "dev", new Uri("nats://127.0.0.1:4222"), "medium").ToArguments();

        Assert.That(arguments, Is.EqualTo(new[] { "--id", "3", "--tick-rate", "5", "--env", "dev", "--nats", "nats://127.0.0.1:4222/", "--role", "medium" }));
    }

    [TestCase(new string[0], "--id is required")]
    [TestCase(new[] { "--id", "-1" }, "--id '-1' is not a whole number from 0 to 1000000")]
    [TestCase(new[] { "--id", "../x" }, "--id '../x' is not a whole number from 0 to 1000000")]
    [TestCase(new[] { "--id", "7", "--tick-rate", "0.5" }, "--tick-rate '0.5' is not a rate from 1 to 20 Hz")]
    [TestCase(new[] { "--id", "7", "--tick-rate", "NaN" }, "--tick-rate 'NaN' is not a rate from 1 to 20 Hz")]
    [TestCase(new[] { "--id", "7", "--env", "qa" }, "--env 'qa' is not one of dev, staging, prod")]
    [TestCase(new[] { "--id", "7", "--nats", "http://x" }, "--nats 'http://x' is not a NATS URL such as nats://127.0.0.1:4222")]
    [TestCase(new[] { "--id" }, "--id needs a value")]
    [TestCase(new[] { "--id", "7", "--turbo", "1" }, "unknown argument '--turbo'")]
    [TestCase(new[] { "--id", "7", "--role", "huge" }, "--role 'huge' is not one of small, medium, large")]
    [TestCase(new[] { "--id", "7", "--seed", "1.5" }, "--seed '1.5' is not a whole number")]
    [TestCase(new[] { "--id", "7", "--checkpoint-every", "1" }, "--checkpoint-every '1' is not a number of seconds from 5 to 3600")]
    [TestCase(new[] { "--id", "7", "--lease", "1" }, "--lease '1' is not a number of seconds from 2 to 600")]
    [TestCase(new[] { "--id", "7", "--start", "yesterday" }, "--start 'yesterday' is not checkpoint or fresh")]
    [TestCase(new[] { "--id", "7", "--lease", "Infinity" }, "--lease 'Infinity' is not a number of seconds from 2 to 600")]
    public void Bad_arguments_are_refused_with_a_reason(string[] args, string reason)
    {
        var (parsed, error) = BrainCommandLine.Parse(args);

        Assert.That(parsed, Is.Null);
        Assert.That(error, Is.EqualTo(reason));
    }

    [Test]
    public void NIMMERVERSE_ENV_names_the_environment_when_the_arguments_do_not()
    {
        Assert.That(BrainCommandLine.Parse(["--id", "3"], "prod").Parsed!.Environment, Is.EqualTo("prod"));
        Assert.That(BrainCommandLine.Parse(["--id", "3"]).Parsed!.Environment, Is.EqualTo("dev"));
        Assert.That(BrainCommandLine.EnvironmentConflict(["--id", "3", "--env", "prod"], "prod"), Is.Null, "both alike");
        Assert.That(BrainCommandLine.EnvironmentConflict(["--id", "3", "--env", "prod"], null), Is.Null);
    }

    [Test]
    public void NIMMERVERSE_ENV_and_env_disagreeing_or_an_unknown_environment_is_named()
    {
        Assert.That(BrainCommandLine.EnvironmentConflict(["--id", "3", "--env", "dev"], "prod"), Is.EqualTo("--env 'dev' and NIMMERVERSE_ENV 'prod' disagree; give one, or both alike"));
        Assert.That(BrainCommandLine.EnvironmentConflict(["--id", "3"], "moon"), Is.EqualTo("NIMMERVERSE_ENV 'moon' is not one of dev, staging, prod"));
    }

    [Test]
    public void The_parent_to_end_with_is_passed_and_read_back()
    {
        var line = BrainCommandLine.For(4, 5, "dev", new Uri("nats://127.0.0.1:4222"), "medium", parent: 4242);

        Assert.That(line.ToArguments(), Does.Contain("--parent").And.Contain("4242"));
        Assert.That(BrainCommandLine.Parse(line.ToArguments()).Parsed, Is.EqualTo(line));
        Assert.That(BrainCommandLine.Parse(["--id", "4", "--parent", "1"]).Error, Is.EqualTo("--parent '1' is not a process id"));
        Assert.That(BrainCommandLine.For(4, 5, "dev", new Uri("nats://127.0.0.1:4222"), "medium").ToArguments(), Does.Not.Contain("--parent"), "under systemd, none: a successor adopts");
    }

    [Test]
    public void The_minted_credentials_are_passed_and_read_back()
    {
        var line = BrainCommandLine.For(4, 5, "dev", new Uri("nats://127.0.0.1:4222"), "medium") with { CredsFile = "/run/nimmerverse/npcs/dev/npc-4.creds" };

        Assert.That(BrainCommandLine.Parse(line.ToArguments()).Parsed, Is.EqualTo(line));
        Assert.That(BrainCommandLine.For(4, 5, "dev", new Uri("nats://127.0.0.1:4222"), "medium").ToArguments(), Does.Not.Contain("--creds"), "on an open bus, none");
    }
}
