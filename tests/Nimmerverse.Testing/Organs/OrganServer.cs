using System.Diagnostics;

namespace Nimmerverse.Testing.Organs;

/// <summary>A real <c>nimmerverse-organ</c> process with one organ loaded, on a free port, stopped with SIGTERM at the end.</summary>
public sealed class OrganServer : ServedProcess
{
    private OrganServer(Process process, Uri url)
        : base(process, url)
    {
    }

    public static string Executable => RepositoryPaths.OrganExecutable;

    /// <summary>Starts the organ with <c>NIMMERVERSE_ORGAN__*</c> settings and waits for <c>/health</c> (that is, until it has loaded).</summary>
    public static Task<OrganServer> StartAsync(string organ, params (string Key, string Value)[] settings)
    {
        var url = new Uri($"http://127.0.0.1:{Ports.FreeTcpPort()}");
        var start = new ProcessStartInfo(Executable, ["--organ", organ, "--listen", url.ToString().TrimEnd('/')]);
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        return StartAsync(start, url, (process, at) => new OrganServer(process, at));
    }
}
