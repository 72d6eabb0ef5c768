using Nimmerverse.Brains;
using Nimmerverse.Brains.Learning;
using Nimmerverse.Testing;

namespace Nimmerverse.Brains.Tests;

public sealed class BrainArgumentsTests
{
    [Test]
    public void The_lab_command_line_is_understood()
    {
        var (parsed, error) = BrainArguments.Parse(["--id", "7", "--tick-rate", "5", "--env", "staging", "--nats", "nats://10.0.0.2:4222", "--seed", "-3", "--role", "large", "--checkpoint-every", "60"]);

        Assert.That(error, Is.Null);
        Assert.That(parsed, Is.EqualTo(new BrainArguments(7, 5, "staging", new Uri("nats://10.0.0.2:4222"), -3, BrainRole.Large, TimeSpan.FromMinutes(1))));
    }

    [Test]
    public void Only_the_id_is_required()
    {
        var (parsed, _) = BrainArguments.Parse(["--id", "0"]);

        Assert.That(parsed, Is.EqualTo(new BrainArguments(0, 5, "dev", new Uri(BrainArguments.DefaultNatsUrl), 0, BrainRole.Medium, TimeSpan.FromSeconds(30))));
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
    public void Bad_arguments_are_refused_with_a_reason(string[] args, string reason)
    {
        var (parsed, error) = BrainArguments.Parse(args);

        Assert.That(parsed, Is.Null);
        Assert.That(error, Is.EqualTo(reason));
    }

    [Test]
    public async Task The_brain_process_exits_64_with_its_usage_on_a_bad_argument()
    {
        var brain = Path.Combine(AppContext.BaseDirectory, "nimmerverse-brain.dll");

        var result = await ProcessRunner.RunAsync("dotnet", [brain, "--id", "seven"]);

        Assert.That(result.ExitCode, Is.EqualTo(64));
        Assert.That(result.StandardError, Does.Contain("--id 'seven' is not a whole number"));
        Assert.That(result.StandardError, Does.Contain("usage: nimmerverse-brain"));
    }
}
