using Microsoft.AspNetCore.Http;

namespace Nimmerverse.Supervisor.Dashboard;

/// <summary>The dashboard's page, script and style, embedded in the daemon: served with no internet and nothing to install beside it.</summary>
public static class DashboardAssets
{
    private const string Prefix = "dashboard/";

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    };

    /// <summary>The names served, from the assembly's resources.</summary>
    public static IReadOnlyList<string> Names { get; } =
        [.. typeof(DashboardAssets).Assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).Select(n => n[Prefix.Length..])];

    public static IResult Result(string name)
    {
        var stream = Names.Contains(name) ? typeof(DashboardAssets).Assembly.GetManifestResourceStream(Prefix + name) : null;
        return stream is null
            ? Results.NotFound()
            : Results.Stream(stream, ContentTypes.GetValueOrDefault(Path.GetExtension(name), "application/octet-stream"));
    }
}
