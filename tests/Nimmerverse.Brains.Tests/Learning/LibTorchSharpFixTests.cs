using System.Security.Cryptography;
using Nimmerverse.Testing;
using TorchSharp;

namespace Nimmerverse.Brains.Tests.Learning;

/// <summary>
/// build/libtorchsharp-glibcxx/fix-libtorchsharp, run against a pristine copy of TorchSharp's
/// library from the NuGet cache: it patches once, then recognises its own work, and leaves the
/// library alone where the system's libstdc++ is new enough.
/// </summary>
[Category(TestTier.Unit)]
public sealed class LibTorchSharpFixTests
{
    private static readonly string Script = Path.Combine(RepositoryPaths.Root, "build", "libtorchsharp-glibcxx", "fix-libtorchsharp");
    private string _directory = null!;

    [SetUp]
    public void CopyPristineLibrary()
    {
        _directory = Directory.CreateTempSubdirectory("nimmerverse-libtorchsharp-").FullName;
        File.Copy(PristineLibrary(), Path.Combine(_directory, "libLibTorchSharp.so"));
    }

    [TearDown]
    public void Remove() => Directory.Delete(_directory, recursive: true);

    private string Library => Path.Combine(_directory, "libLibTorchSharp.so");

    [Test]
    public async Task It_patches_a_pristine_library_once_and_a_second_run_changes_nothing()
    {
        var first = await ProcessRunner.RunAsync(Script, [_directory], OldLibstdcxx());
        Assert.That(first.ExitCode, Is.Zero, first.ToString());
        Assert.That(first.StandardOutput, Does.Contain("patched:"));
        var patched = Hash(Library);

        var second = await ProcessRunner.RunAsync(Script, [_directory], OldLibstdcxx());

        Assert.That(second.ExitCode, Is.Zero, second.ToString());
        Assert.That(second.StandardOutput, Does.Contain("already patched"));
        Assert.That(Hash(Library), Is.EqualTo(patched), "the second run did not touch the library");
        var needed = await ProcessRunner.RunAsync("patchelf", ["--print-needed", Library]);
        Assert.That(needed.StandardOutput.Split('\n'), Has.One.EqualTo("libnimmerverse-glibcxx-shim.so"), "the shim is needed exactly once");
        Assert.That(File.Exists(Path.Combine(_directory, "libnimmerverse-glibcxx-shim.so")), "the shim sits beside the library");
        var versions = await ProcessRunner.RunAsync("readelf", ["-V", Library]);
        Assert.That(versions.StandardOutput, Does.Match(@"Name: GLIBCXX_3\.4\.32\s+Flags: WEAK"));
    }

    [Test]
    public async Task It_is_skipped_where_the_system_libstdcxx_provides_GLIBCXX_3_4_32()
    {
        var newer = Path.Combine(_directory, "libstdc++.so.6");
        await File.WriteAllTextAsync(newer, "... GLIBCXX_3.4.31\0GLIBCXX_3.4.32\0 ...");
        var before = Hash(Library);

        var run = await ProcessRunner.RunAsync(Script, [_directory], new Dictionary<string, string> { ["NV_LIBSTDCXX"] = newer });

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.StandardOutput, Does.Contain("skipped"));
        Assert.That(Hash(Library), Is.EqualTo(before));
        Assert.That(File.Exists(Path.Combine(_directory, "libnimmerverse-glibcxx-shim.so")), Is.False);
    }

    [Test]
    public async Task A_folder_without_the_library_is_an_error_that_says_so()
    {
        File.Delete(Library);

        var run = await ProcessRunner.RunAsync(Script, [_directory]);

        Assert.That(run.ExitCode, Is.EqualTo(66));
        Assert.That(run.StandardError, Does.Contain("libLibTorchSharp.so does not exist"));
    }

    [Test]
    public void The_build_output_loads_LibTorch_in_this_process()
    {
        using var sum = (torch.ones(3) * 2).sum();

        Assert.That(sum.item<float>(), Is.EqualTo(6));
    }

    /// <summary>Judge against the machine's own libstdc++, or a stand-in without the version on a newer machine.</summary>
    private Dictionary<string, string> OldLibstdcxx()
    {
        var old = Path.Combine(_directory, "old-libstdc++.so.6");
        File.WriteAllText(old, "GLIBCXX_3.4.30\0");
        return new Dictionary<string, string> { ["NV_LIBSTDCXX"] = old, ["NV_TOOL_CACHE"] = Path.Combine(_directory, "tools") };
    }

    private static string PristineLibrary()
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var version = typeof(torch).Assembly.GetName().Version!;
        return Path.Combine(packages, "torchsharp", $"{version.Major}.{version.Minor}.{version.Build}", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
    }

    private static string Hash(string file) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));
}
