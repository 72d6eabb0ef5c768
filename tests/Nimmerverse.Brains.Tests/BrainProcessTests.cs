using Nimmerverse.Brains.Learning;
using Nimmerverse.Protocol;
using Nimmerverse.Testing;

namespace Nimmerverse.Brains.Tests;

[Category(TestTier.Unit)]
public sealed class BrainProcessTests
{
    [Test]
    public async Task The_brain_process_exits_64_with_its_usage_on_a_bad_argument()
    {
        var brain = Path.Combine(AppContext.BaseDirectory, "nimmerverse-brain.dll");

        var result = await ProcessRunner.RunAsync("dotnet", [brain, "--id", "seven"]);

        Assert.That(result.ExitCode, Is.EqualTo(64));
        Assert.That(result.StandardError, Does.Contain("--id 'seven' is not a whole number"));
        Assert.That(result.StandardError, Does.Contain("usage: nimmerverse-brain"));
    }

    [Test]
    public void Every_role_the_command_line_accepts_has_a_network_size()
    {
        Assert.That(BrainRole.All.Select(r => r.Name), Is.EqualTo(BrainCommandLine.Roles));
        Assert.That(() => BrainRole.Of("huge"), Throws.ArgumentException);
    }
}
