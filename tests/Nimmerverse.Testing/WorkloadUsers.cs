namespace Nimmerverse.Testing;

/// <summary>
/// The workloads' users (<c>nyx-nervous</c>, ...) on this machine, as <c>./nimmerverse install</c> makes them:
/// the repository's <c>systemd/nimmerverse.sysusers</c> applied with systemd-sysusers (which adds only what is missing).
/// </summary>
public static class WorkloadUsers
{
    public const string Brains = "nyx-nervous";

    public const string Organs = "nyx-organs";

    private static readonly SemaphoreSlim Once = new(1, 1);
    private static bool _applied;

    public static async Task EnsureAsync()
    {
        await Once.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_applied)
            {
                return;
            }

            var result = await ProcessRunner.RunAsync("systemd-sysusers", [Path.Combine(RepositoryPaths.Root, "systemd", "nimmerverse.sysusers")]).ConfigureAwait(false);
            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException($"systemd-sysusers could not make the workloads' users (run the tests as root):\n{result}");
            }

            _applied = true;
        }
        finally
        {
            Once.Release();
        }
    }

    /// <summary>The uid of <paramref name="name"/> from /etc/passwd.</summary>
    public static int UidOf(string name) =>
        File.ReadLines("/etc/passwd").Select(line => line.Split(':')).Where(f => f[0] == name).Select(f => int.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture)).Single();
}
