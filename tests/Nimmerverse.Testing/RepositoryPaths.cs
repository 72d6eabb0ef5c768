namespace Nimmerverse.Testing;

/// <summary>Where the checkout and the published supervisor are, for tests that run the real binaries.</summary>
public static class RepositoryPaths
{
    /// <summary>The checkout: <c>$NV_REPO</c> (set by <c>./nimmerverse test</c>) or the folder holding nimmerverse.sln above the test binary.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The state folder of the entry script (<c>.nimmerverse/</c>).</summary>
    public static string State => Environment.GetEnvironmentVariable("NV_STATE") ?? Path.Combine(Root, ".nimmerverse");

    /// <summary>The published supervisor (<c>./nimmerverse test</c> publishes it before the suites run).</summary>
    public static string PublishDirectory => Environment.GetEnvironmentVariable("NV_PUBLISH_DIR") ?? Path.Combine(State, "publish");

    /// <summary>
    /// The brain executable: the published one (<c>publish/brain/</c>, as installed), else the
    /// newest build output of the Brains project.
    /// </summary>
    public static string BrainExecutable
    {
        get
        {
            var published = Path.Combine(PublishDirectory, "brain", "nimmerverse-brain");
            if (File.Exists(published))
            {
                return published;
            }

            var built = Directory.EnumerateFiles(Path.Combine(Root, "src", "Nimmerverse.Brains", "bin"), "nimmerverse-brain", SearchOption.AllDirectories)
                .OrderByDescending(File.GetLastWriteTimeUtc)
                .FirstOrDefault();
            return built ?? throw new InvalidOperationException($"no nimmerverse-brain under {published} or the Brains build output: run ./nimmerverse test");
        }
    }

    /// <summary>
    /// nimmerverse-nyx: the newest of the one built beside the running tests (a project that references
    /// it), the published one (<c>publish/nyx/</c>) and the build outputs of the Nyx project.
    /// </summary>
    public static string NyxExecutable => FirstExisting("nimmerverse-nyx", Path.Combine(PublishDirectory, "nyx"), Path.Combine(Root, "src", "Nimmerverse.Nyx", "bin"));

    /// <summary>nimmerverse-organ: the newest of beside the tests, published (<c>publish/organ/</c>) or built.</summary>
    public static string OrganExecutable => FirstExisting("nimmerverse-organ", Path.Combine(PublishDirectory, "organ"), Path.Combine(Root, "src", "Nimmerverse.Organs", "bin"));

    /// <summary>The newest of: beside the tests, the published one, the build outputs.</summary>
    private static string FirstExisting(string name, string published, string builds)
    {
        var candidates = new[] { Path.Combine(AppContext.BaseDirectory, name), Path.Combine(published, name) }
            .Concat(Directory.Exists(builds) ? Directory.EnumerateFiles(builds, name, SearchOption.AllDirectories) : [])
            .Where(File.Exists);
        return candidates.OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault()
            ?? throw new InvalidOperationException($"no {name} beside the tests, under {published} or in {builds}: run ./nimmerverse test");
    }

    private static string FindRoot()
    {
        if (Environment.GetEnvironmentVariable("NV_REPO") is { Length: > 0 } fromEnvironment)
        {
            return fromEnvironment;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "nimmerverse.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find the checkout (nimmerverse.sln) above " + AppContext.BaseDirectory);
    }
}
