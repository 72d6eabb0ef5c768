namespace Nimmerverse.Testing;

/// <summary>The published supervisor the process-level tests run and install; <c>./nimmerverse test</c> publishes it first.</summary>
public static class Published
{
    public static async Task EnsureAsync()
    {
        if (File.Exists(Path.Combine(RepositoryPaths.PublishDirectory, "nimmerverse")))
        {
            return;
        }

        // Run outside the entry script (an IDE, a bare `dotnet test`): publish once here.
        var result = await ProcessRunner.RunAsync("dotnet",
            ["publish", Path.Combine(RepositoryPaths.Root, "src", "Nimmerverse.Supervisor", "Nimmerverse.Supervisor.csproj"), "-c", "Release", "-nologo", "-o", RepositoryPaths.PublishDirectory],
            timeout: TimeSpan.FromMinutes(5));
        Assert.That(result.ExitCode, Is.Zero, "publishing the supervisor failed: " + result);
    }
}
