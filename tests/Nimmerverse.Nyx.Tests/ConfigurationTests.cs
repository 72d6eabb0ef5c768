using System.Security.Cryptography;
using Nimmerverse.Testing;

using Nimmerverse.Testing.Nyx;

namespace Nimmerverse.Nyx.Tests;

/// <summary>Bad configuration exits 78 naming its key; the shipped model is the one its README describes.</summary>
[Category(TestTier.Integration)]
public sealed class ConfigurationTests
{
    private static async Task<ProcessResult> RunAsync(params (string Key, string Value)[] environment) =>
        await ProcessRunner.RunAsync(NyxServer.Executable, [], environment.ToDictionary(e => e.Key, e => e.Value), TimeSpan.FromSeconds(30));

    [TestCase("NIMMERVERSE_NYX__SCHEDULING", "lottery", "Nyx:Scheduling")]
    [TestCase("NIMMERVERSE_NYX__LISTEN", "127.0.0.1:31000", "Nyx:Listen")]
    [TestCase("NIMMERVERSE_NYX__MODELS__0__NAME", "nyx", "Nyx:Models:0:Path")]
    [TestCase("NIMMERVERSE_NYX__MAXQUEUE", "0", "Nyx:MaxQueue")]
    [TestCase("NIMMERVERSE_NYX__MINTOKENMILLISECONDS", "-1", "Nyx:MinTokenMilliseconds")]
    [TestCase("NIMMERVERSE_NYX__TEMPERATURE", "2", "Temperature")]
    [TestCase("NIMMERVERSE_ENV", "qa", "NIMMERVERSE_ENV")]
    public async Task A_bad_value_exits_78_naming_its_key(string variable, string value, string key)
    {
        var result = await RunAsync((variable, value));

        Assert.That(result.ExitCode, Is.EqualTo(78), result.ToString());
        Assert.That(result.StandardError, Does.Contain(key).IgnoreCase);
    }

    [Test]
    public async Task The_shipped_model_is_the_one_its_README_names()
    {
        var model = Path.Combine(AppContext.BaseDirectory, "models", "stories260K.gguf");
        var readme = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "models", "README.md"));

        var hash = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(model)));

        Assert.That(readme, Does.Contain(hash));
    }
}
