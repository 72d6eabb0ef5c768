using System.Diagnostics;

namespace Nimmerverse.Testing.Nyx;

/// <summary>A real <c>nimmerverse-nyx</c> process serving the shipped tiny model, on a free port (or a given one), stopped with SIGTERM at the end.</summary>
public sealed class NyxServer : ServedProcess
{
    private NyxServer(Process process, Uri url)
        : base(process, url)
    {
    }

    public static string Executable => RepositoryPaths.NyxExecutable;

    /// <summary>The OpenAI-compatible base URL (<c>…/v1</c>).</summary>
    public Uri ApiBase => new(Url, "/v1");

    /// <summary>Starts it with <c>NIMMERVERSE_NYX__*</c> settings and waits for <c>/health</c>.</summary>
    public static Task<NyxServer> StartAsync(params (string Key, string Value)[] settings) => StartAsync(null, settings);

    /// <summary>Starts it on <paramref name="port"/> (a free one when null) and waits for <c>/health</c>.</summary>
    public static Task<NyxServer> StartAsync(int? port, params (string Key, string Value)[] settings)
    {
        var url = new Uri($"http://127.0.0.1:{port ?? Ports.FreeTcpPort()}");
        var start = new ProcessStartInfo(Executable);
        start.Environment["NIMMERVERSE_NYX__LISTEN"] = url.ToString().TrimEnd('/');
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        return StartAsync(start, url, (process, at) => new NyxServer(process, at));
    }
}
