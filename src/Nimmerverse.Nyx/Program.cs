using Nimmerverse.Nyx;
using Nimmerverse.Nyx.OpenAi;
using Nimmerverse.Nyx.Serving;
using Environments = Nimmerverse.Protocol.Environments;

// nimmerverse-nyx [--config PATH]: the local OpenAI-compatible model server (docs/cortex.md).
// Configuration: PATH (JSON, section "Nyx"), then NIMMERVERSE_NYX__* variables. A bad value exits 78 naming its key.
const int ExitUsage = 64;
const int ExitConfig = 78;

string? configFile = null;
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--config" && i + 1 < args.Length)
    {
        configFile = args[++i];
    }
    else
    {
        Console.Error.WriteLine($"nimmerverse-nyx: unexpected argument '{args[i]}'\nusage: nimmerverse-nyx [--config PATH]");
        return ExitUsage;
    }
}

if (Environment.GetEnvironmentVariable(Environments.Variable) is { Length: > 0 } environment && !Environments.IsKnown(environment))
{
    Console.Error.WriteLine($"nimmerverse-nyx: {Environments.Variable} '{environment}' is not one of {Environments.Listed}");
    return ExitConfig;
}

if (Nimmerverse.Shared.ServerSettings.Load<NyxOptions>("nimmerverse-nyx", NyxOptions.SectionName, configFile, new Dictionary<string, string?>(), o => o.Validate(), Console.Error) is not { } options)
{
    return ExitConfig;
}

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.Logging.AddSystemdConsole(); // <6>-prefixed lines, as journald reads them
// llama.cpp reports every graph it reserves at info; its warnings and errors are what an operator needs.
builder.Logging.AddFilter("llama.cpp", LogLevel.Warning);
builder.WebHost.UseUrls(options.Listen);
var app = builder.Build();
var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("nyx");
LLama.Native.NativeLibraryConfig.All.WithLogCallback(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("llama.cpp"));

var models = new Dictionary<string, ModelWorker>(StringComparer.Ordinal);
foreach (var model in options.EffectiveModels)
{
    var started = System.Diagnostics.Stopwatch.GetTimestamp();
    models[model.Name] = new ModelWorker(model, options.PriorityScheduling, options.MaxQueue, TimeSpan.FromMilliseconds(options.MinTokenMilliseconds), log);
    log.LogInformation("Loaded model {Model} from {Path} in {Ms:F0} ms (context {Context} tokens, {Threads} threads)",
        model.Name, model.FullPath, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, model.ContextSize, model.Threads);
}

app.MapChatEndpoints(options, models);
log.LogInformation("nimmerverse-nyx on {Listen}: {Models}; scheduling {Scheduling}", options.Listen, string.Join(", ", models.Keys), options.Scheduling);
await app.RunAsync().ConfigureAwait(false);
foreach (var worker in models.Values)
{
    await worker.DisposeAsync().ConfigureAwait(false);
}

return 0;
