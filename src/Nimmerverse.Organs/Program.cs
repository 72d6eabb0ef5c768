using Nimmerverse.Organs;
using Nimmerverse.Organs.Http;
using Nimmerverse.Organs.Local;

// nimmerverse-organ --organ NAME [--listen URL] [--config PATH]: one organ, loaded, serving HTTP
// (docs/organs.md). The organ manager starts one per loaded organ and stops it to unload.
// Configuration: PATH (JSON, section "Organ"), then NIMMERVERSE_ORGAN__* variables, then the
// arguments. A bad value exits 78 naming its key; a model that cannot be loaded exits 69.
const int ExitUsage = 64;
const int ExitUnavailable = 69;
const int ExitConfig = 78;
const string Usage = "usage: nimmerverse-organ --organ vision|speech-to-text|text-to-speech [--listen URL] [--config PATH]";

var overrides = new Dictionary<string, string?>();
string? configFile = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--organ" when i + 1 < args.Length:
            overrides[$"{OrganSettings.SectionName}:Organ"] = args[++i];
            break;
        case "--listen" when i + 1 < args.Length:
            overrides[$"{OrganSettings.SectionName}:Listen"] = args[++i];
            break;
        case "--config" when i + 1 < args.Length:
            configFile = args[++i];
            break;
        default:
            Console.Error.WriteLine($"nimmerverse-organ: unexpected argument '{args[i]}'\n{Usage}");
            return ExitUsage;
    }
}

if (Nimmerverse.Shared.ServerSettings.Load<OrganSettings>("nimmerverse-organ", OrganSettings.SectionName, configFile, overrides, s => s.Validate(), Console.Error) is not { } settings)
{
    return ExitConfig;
}

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.Logging.AddSystemdConsole(); // <6>-prefixed lines, as journald reads them
builder.Logging.AddFilter("Microsoft", LogLevel.Warning); // a line per request would drown the organ's own
builder.WebHost.UseUrls(settings.Listen);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = settings.MaxMediaBytes);
builder.Services.Configure<Microsoft.AspNetCore.Http.Features.FormOptions>(form => form.MultipartBodyLengthLimit = settings.MaxMediaBytes);
var app = builder.Build();
var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("organ");

LoadedOrgan organ;
try
{
    organ = LoadedOrgan.Load(settings);
}
catch (OrganLoadException e)
{
    log.LogCritical("Could not load the {Organ} organ: {Problem}", settings.Organ, e.Message);
    await app.DisposeAsync().ConfigureAwait(false); // the console logger writes from a queue: flush it before exiting
    return ExitUnavailable;
}

using (organ)
{
    app.MapOrganEndpoints(settings, organ);
    log.LogInformation("The {Organ} organ loaded in {Ms:F0} ms; serving on {Listen} (process {Pid})", settings.Organ, organ.LoadTime.TotalMilliseconds, settings.Listen, Environment.ProcessId);
    await app.RunAsync().ConfigureAwait(false);
    log.LogInformation("The {Organ} organ unloads after {Served} requests", settings.Organ, organ.Served);
}

return 0;
