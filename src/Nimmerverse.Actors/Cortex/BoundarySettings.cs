using Nimmerverse.Actors.Configuration;

namespace Nimmerverse.Actors.Cortex;

/// <summary>The Function Gemma boundary: section <c>Nimmerverse:Boundary</c>. It runs beside the cortex gateway (role <c>cortex</c>).</summary>
public sealed record BoundarySettings : IOptionsSection
{
    public static BoundarySettings Default { get; } = new();

    /// <summary>Function Gemma's OpenAI-compatible base URL; unset: the cortex's (<c>Cortex:Endpoint</c>), as nimmerverse-nyx serves both.</summary>
    public string? Endpoint { get; init; }

    /// <summary>The model asked. Default <c>function-gemma</c>.</summary>
    public string Model { get; init; } = "function-gemma";

    /// <summary>Tokens an assessment may take. Default 256.</summary>
    public int MaxTokens { get; init; } = 256;

    /// <summary>Attempts after an answer the schema refuses, each with a hint; then the transition is NACKed. Default 3.</summary>
    public int Retries { get; init; } = 3;

    /// <summary>How long one call to Function Gemma may take (tier 3: under 2 s). Default 2 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The lifeforce the cortex's answer may cost, as the request says (<c>processing_budget_lf</c>). Default 5.</summary>
    public double ProcessingBudget { get; init; } = 5;

    /// <summary>The cortex request's deadline (<c>response_timeout_ms</c>). Default 4000.</summary>
    public int CortexTimeoutMs { get; init; } = 4000;

    /// <summary>Tokens the cortex's answer may take. Default 256.</summary>
    public int CortexMaxTokens { get; init; } = 256;

    /// <summary>A gate that opens again within this time is not taken up again. Default 10 s.</summary>
    public TimeSpan GateCooldown { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Transitions waiting for the boundary; the oldest is dropped, counted, past this. Default 8.</summary>
    public int MaxWaiting { get; init; } = 8;

    public void Validate(OptionProblems problems)
    {
        if (Endpoint is not null && (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https")))
        {
            problems.Add("Endpoint", $"'{Endpoint}' is not an http(s) URL");
        }

        if (string.IsNullOrWhiteSpace(Model))
        {
            problems.Add("Model", "is empty");
        }

        if (MaxTokens is < 16 or > 4096)
        {
            problems.Add("MaxTokens", $"{MaxTokens} is outside 16..4096");
        }

        if (Retries is < 0 or > 10)
        {
            problems.Add("Retries", $"{Retries} is outside 0..10");
        }

        problems.Positive("Timeout", Timeout);
        problems.Cost("ProcessingBudget", ProcessingBudget);
        if (CortexTimeoutMs is < 100 or > 60_000)
        {
            problems.Add("CortexTimeoutMs", $"{CortexTimeoutMs} is outside 100..60000");
        }

        if (CortexMaxTokens is < 1 or > 4096)
        {
            problems.Add("CortexMaxTokens", $"{CortexMaxTokens} is outside 1..4096");
        }

        problems.NotNegative("GateCooldown", GateCooldown);
        if (MaxWaiting is < 1 or > 1000)
        {
            problems.Add("MaxWaiting", $"{MaxWaiting} is outside 1..1000");
        }
    }
}
