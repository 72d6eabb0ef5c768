namespace Nimmerverse.Nyx;

/// <summary>A model the server serves: the name clients ask for and its GGUF file.</summary>
public sealed record NyxModel
{
    /// <summary>The name in <c>/v1/models</c> and in a request's <c>model</c>, e.g. <c>nyx</c>.</summary>
    public string Name { get; init; } = "";

    /// <summary>The GGUF file; a relative path is beside the executable.</summary>
    public string Path { get; init; } = "";

    /// <summary>The context in tokens (prompt and answer together). Default 2048 (the boundary's prompt and its answer need about 600).</summary>
    public int ContextSize { get; init; } = 2048;

    /// <summary>CPU threads for this model. Default 1: several models and the organism share the host.</summary>
    public int Threads { get; init; } = 1;

    public string FullPath => System.IO.Path.GetFullPath(Path, AppContext.BaseDirectory);
}

/// <summary>Section <c>Nyx</c> of <c>nimmerverse-nyx</c>'s configuration (docs/cortex.md).</summary>
public sealed record NyxOptions
{
    public const string SectionName = "Nyx";

    /// <summary>First come, first served: a request with a non-zero priority is refused (400), as vLLM does.</summary>
    public const string FirstComeFirstServed = "fcfs";

    /// <summary>Requests run by (priority, arrival), lower values first, as vLLM's <c>--scheduling-policy priority</c>.</summary>
    public const string Priority = "priority";

    /// <summary>The tiny model the repository ships, served under both names when no model is configured.</summary>
    public const string ShippedModel = "models/stories260K.gguf";

    /// <summary>Where it listens. Default <c>http://127.0.0.1:31000</c> (the lab's vLLM port).</summary>
    public string Listen { get; init; } = "http://127.0.0.1:31000";

    /// <summary><c>fcfs</c> (the default, as vLLM's) or <c>priority</c>.</summary>
    public string Scheduling { get; init; } = FirstComeFirstServed;

    /// <summary>Requests waiting per model at most; one more is answered 429. Default 256.</summary>
    public int MaxQueue { get; init; } = 256;

    /// <summary>Tokens generated when a request gives no <c>max_tokens</c>. Default 256.</summary>
    public int DefaultMaxTokens { get; init; } = 256;

    /// <summary>
    /// The least time one generated token takes, in milliseconds. Default 0: as fast as the model runs here. A stand-in for
    /// the pace of a large model on the lab's GPU, whose answers take seconds: the tiny model still writes every token, and
    /// they come no faster than this, so a cortex that serves one call at a time is as scarce here as there.
    /// </summary>
    public double MinTokenMilliseconds { get; init; }

    /// <summary>The models served; empty: the shipped tiny model as <c>nyx</c> and as <c>function-gemma</c>.</summary>
    public List<NyxModel> Models { get; init; } = [];

    public IReadOnlyList<NyxModel> EffectiveModels =>
        Models.Count > 0 ? Models : [new NyxModel { Name = "nyx", Path = ShippedModel }, new NyxModel { Name = "function-gemma", Path = ShippedModel }];

    public bool PriorityScheduling => Scheduling == Priority;

    /// <summary>Every problem, each with its key (<c>Nyx:Models:0:Path</c>); the server exits 78 with them.</summary>
    public IReadOnlyList<(string Key, string Problem)> Validate()
    {
        var problems = new List<(string, string)>();
        if (!Uri.TryCreate(Listen, UriKind.Absolute, out var listen) || listen.Scheme is not ("http" or "https"))
        {
            problems.Add(($"{SectionName}:Listen", $"'{Listen}' is not an http URL such as http://127.0.0.1:31000"));
        }

        if (Scheduling is not (FirstComeFirstServed or Priority))
        {
            problems.Add(($"{SectionName}:Scheduling", $"'{Scheduling}' is not {FirstComeFirstServed} or {Priority}"));
        }

        if (MaxQueue < 1)
        {
            problems.Add(($"{SectionName}:MaxQueue", $"{MaxQueue} is not positive"));
        }

        if (DefaultMaxTokens < 1)
        {
            problems.Add(($"{SectionName}:DefaultMaxTokens", $"{DefaultMaxTokens} is not positive"));
        }

        if (!double.IsFinite(MinTokenMilliseconds) || MinTokenMilliseconds is < 0 or > 60_000)
        {
            problems.Add(($"{SectionName}:MinTokenMilliseconds", $"{MinTokenMilliseconds} is outside 0..60000"));
        }

        var models = EffectiveModels;
        for (var i = 0; i < models.Count; i++)
        {
            var key = $"{SectionName}:Models:{i}";
            if (string.IsNullOrWhiteSpace(models[i].Name) || models[i].Name.Any(char.IsWhiteSpace))
            {
                problems.Add(($"{key}:Name", $"'{models[i].Name}' is not a model name (no spaces)"));
            }
            else if (models.Take(i).Any(m => m.Name == models[i].Name))
            {
                problems.Add(($"{key}:Name", $"'{models[i].Name}' is served twice"));
            }

            if (!File.Exists(models[i].FullPath))
            {
                problems.Add(($"{key}:Path", $"'{models[i].FullPath}' does not exist (a GGUF file)"));
            }

            if (models[i].ContextSize is < 64 or > 131_072)
            {
                problems.Add(($"{key}:ContextSize", $"{models[i].ContextSize} is outside 64..131072"));
            }

            if (models[i].Threads is < 1 or > 256)
            {
                problems.Add(($"{key}:Threads", $"{models[i].Threads} is outside 1..256"));
            }
        }

        return problems;
    }
}
