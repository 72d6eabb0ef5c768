using Nimmerverse.Actors.Configuration;

namespace Nimmerverse.Actors.Cortex;

/// <summary>The cortex gateway: section <c>Nimmerverse:Cortex</c>.</summary>
public sealed record CortexSettings : IOptionsSection
{
    public static CortexSettings Default { get; } = new();

    /// <summary>The OpenAI-compatible API's base URL (vLLM's or nimmerverse-nyx's, ending in <c>/v1</c>). Default <c>http://127.0.0.1:31000/v1</c>.</summary>
    public string Endpoint { get; init; } = "http://127.0.0.1:31000/v1";

    /// <summary>The model asked. Default <c>nyx</c>.</summary>
    public string Model { get; init; } = "nyx";

    /// <summary>A file holding the endpoint's API key (vLLM's <c>--api-key</c>); unset: none is sent.</summary>
    public string? ApiKeyFile { get; init; }

    /// <summary>
    /// Whether the endpoint schedules by priority (vLLM's <c>--scheduling-policy priority</c>; nimmerverse-nyx's
    /// <c>Nyx:Scheduling</c> = <c>priority</c>), so each call carries vLLM's <c>priority</c>. Off: none is sent
    /// (a first-come-first-served vLLM refuses any but 0). Default on.
    /// </summary>
    public bool PriorityScheduling { get; init; } = true;

    /// <summary>Admitted requests waiting for the endpoint; one more is refused <c>queue_full</c>. Default 64.</summary>
    public int MaxQueue { get; init; } = 64;

    /// <summary>Requests in flight to the endpoint at once. Default 2.</summary>
    public int MaxConcurrent { get; init; } = 2;

    /// <summary>Lifeforce an answered call costs (a tier-4 call). Default 20.</summary>
    public double CallCost { get; init; } = 20;

    /// <summary>Lifeforce per token (prompt and completion) on top of <see cref="CallCost"/>. Default 0.01.</summary>
    public double TokenCost { get; init; } = 0.01;

    /// <summary>Endpoint failures in a row that open the circuit breaker. Default 3.</summary>
    public int BreakerFailures { get; init; } = 3;

    /// <summary>How long an open breaker refuses before one probe request may try again. Default 5 s.</summary>
    public TimeSpan BreakerOpenFor { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The queue priority (0-10, 10 most urgent) of requesters the governor does not allocate: anything but an NPC. Default 5.</summary>
    public int UngovernedPriority { get; init; } = 5;

    public void Validate(OptionProblems problems)
    {
        if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
        {
            problems.Add("Endpoint", $"'{Endpoint}' is not an http(s) URL");
        }

        if (string.IsNullOrWhiteSpace(Model))
        {
            problems.Add("Model", "is empty");
        }

        if (ApiKeyFile is not null && !File.Exists(ApiKeyFile))
        {
            problems.Add("ApiKeyFile", $"'{ApiKeyFile}' does not exist");
        }

        if (MaxQueue is < 1 or > 100_000)
        {
            problems.Add("MaxQueue", $"{MaxQueue} is outside 1..100000");
        }

        if (MaxConcurrent is < 1 or > 1024)
        {
            problems.Add("MaxConcurrent", $"{MaxConcurrent} is outside 1..1024");
        }

        problems.Cost("CallCost", CallCost);
        problems.Cost("TokenCost", TokenCost);
        if (BreakerFailures is < 1 or > 1000)
        {
            problems.Add("BreakerFailures", $"{BreakerFailures} is outside 1..1000");
        }

        problems.Positive("BreakerOpenFor", BreakerOpenFor);
        if (UngovernedPriority is < 0 or > 10)
        {
            problems.Add("UngovernedPriority", $"{UngovernedPriority} is outside 0..10");
        }
    }

    /// <summary>
    /// What a call can cost at most before it is made: the call, a token per byte of the prompt's
    /// UTF-8 (no token is shorter) plus the chat template's few per message, and every token it may answer.
    /// </summary>
    public double WorstCost(int promptBytes, int messages, int maxTokens) => CallCost + (TokenCost * (promptBytes + (8 * messages) + maxTokens));

    /// <summary>What an answered call costs.</summary>
    public double CostOf(int totalTokens) => CallCost + (TokenCost * totalTokens);
}
