using System.Globalization;

namespace Nimmerverse.Protocol;

/// <summary>One chat message of a cortex request: <c>system</c>, <c>user</c> or <c>assistant</c>, and its text.</summary>
public sealed record CortexMessage(string Role, string Content)
{
    public static readonly IReadOnlySet<string> Roles = new HashSet<string>(StringComparer.Ordinal) { "system", "user", "assistant" };
}

/// <summary>
/// A question to the cortex (<c>cortex_request</c>, on <c>{env}.cortex.nyx.request</c>, request/reply).
/// <see cref="Requester"/> is <c>npc-{id}</c> for an NPC (governed by its LLM gate and priority) or
/// the name of another asker (<c>boundary</c>, <c>operator</c>...). <see cref="ResponseSchema"/> names
/// one of <see cref="CortexSchemas"/>: the answer is then a JSON document that schema accepts.
/// </summary>
public sealed record CortexRequestBody(
    string Requester,
    IReadOnlyList<CortexMessage> Messages,
    int MaxTokens,
    string? ResponseSchema = null,
    int ResponseTimeoutMs = CortexRequestBody.DefaultTimeoutMs) : IMessageBody
{
    public const int DefaultTimeoutMs = 4000;
    public const int MaxMessages = 64;
    public const int MaxPromptCharacters = 32_768;
    public const int MaxTokensLimit = 4096;

    public static string MessageType => "cortex_request";

    /// <summary>The NPC asking, when the requester is one (<c>npc-7</c> → 7).</summary>
    public int? NpcId => CortexRequesters.NpcIdOf(Requester);

    public string? Problem()
    {
        if (CortexRequesters.Problem(Requester) is { } requester)
        {
            return requester;
        }

        if (Messages.Count == 0)
        {
            return "messages is empty";
        }

        if (Checks.AtMostItems("messages", Messages, MaxMessages) is { } tooMany)
        {
            return tooMany;
        }

        var characters = 0;
        for (var i = 0; i < Messages.Count; i++)
        {
            var message = Messages[i];
            if (message is null)
            {
                return $"messages[{i}] is null";
            }

            if (!CortexMessage.Roles.Contains(message.Role))
            {
                return $"messages[{i}].role '{message.Role}' is not one of {string.Join(", ", CortexMessage.Roles)}";
            }

            if (Checks.Prose($"messages[{i}].content", message.Content, MaxPromptCharacters) is { } content)
            {
                return content;
            }

            characters += message.Content.Length;
        }

        return Checks.First(
            characters > MaxPromptCharacters ? $"the prompt is {characters} characters long, more than {MaxPromptCharacters}" : null,
            MaxTokens is < 1 or > MaxTokensLimit ? $"max_tokens {MaxTokens} is outside 1..{MaxTokensLimit}" : null,
            ResponseSchema is not null ? Checks.NotEmpty("response_schema", ResponseSchema) : null,
            ResponseTimeoutMs is < 100 or > 60_000 ? $"response_timeout_ms {ResponseTimeoutMs} is outside 100..60000" : null);
    }
}

/// <summary>Who may ask the cortex: <c>npc-{id}</c>, or a name of lower-case letters, digits and '-'.</summary>
public static class CortexRequesters
{
    private const string NpcPrefix = "npc-";

    public static string Npc(int npcId) => NpcPrefix + npcId.ToString(CultureInfo.InvariantCulture);

    public static int? NpcIdOf(string requester) =>
        requester.StartsWith(NpcPrefix, StringComparison.Ordinal)
        && int.TryParse(requester.AsSpan(NpcPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? id
            : null;

    public static string? Problem(string requester)
    {
        if (string.IsNullOrEmpty(requester) || requester.Length > 64)
        {
            return "requester must be 1-64 characters";
        }

        foreach (var c in requester)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
            {
                return $"requester '{Checks.Shown(requester)}' must be lower-case letters, digits and '-'";
            }
        }

        return requester.StartsWith(NpcPrefix, StringComparison.Ordinal) && NpcIdOf(requester) is null
            ? $"requester '{requester}' names no NPC (npc-{{id}})"
            : null;
    }
}

/// <summary>Tokens a call used, as the model counted them.</summary>
public sealed record CortexUsage(int PromptTokens, int CompletionTokens, int TotalTokens)
{
    public string? Problem() => PromptTokens < 0 || CompletionTokens < 0 || TotalTokens < 0 ? "usage counts must not be negative" : null;

    /// <summary>The fields an answer and its trail share: printable detail and model, prose content, sane usage, times and cost.</summary>
    internal static string? OutcomeProblem(string? detail, string? content, string? model, CortexUsage? usage, double queueMs, double latencyMs, double lifeforceSpent) => Checks.First(
        Checks.Printable("detail", detail),
        Checks.Prose("content", content, CortexRequestBody.MaxPromptCharacters),
        Checks.Printable("model", model),
        usage?.Problem(),
        Checks.InRange("queue_ms", queueMs, 0, double.MaxValue),
        Checks.InRange("latency_ms", latencyMs, 0, double.MaxValue),
        Checks.InRange("lifeforce_spent", lifeforceSpent, 0, double.MaxValue));
}


/// <summary>Why a cortex request was refused or failed.</summary>
public static class CortexReasons
{
    /// <summary>Refused: the requester's LLM gate (the governor's latest allocation) is closed.</summary>
    public const string GateClosed = "gate_closed";

    /// <summary>Refused: the queue holds <c>Cortex:MaxQueue</c> requests already.</summary>
    public const string QueueFull = "queue_full";

    /// <summary>Refused: the organism or the requester cannot pay the call's lifeforce.</summary>
    public const string NoLifeforce = "no_lifeforce";

    /// <summary>Refused: the circuit breaker is open (the model server failed again and again).</summary>
    public const string CortexDown = "cortex_down";

    /// <summary>Refused: the response schema is not one the gateway knows.</summary>
    public const string UnknownSchema = "unknown_schema";

    /// <summary>Refused: an NPC requester whose reply inbox is not that NPC's.</summary>
    public const string RequesterMismatch = "requester_mismatch";

    /// <summary>Failed: the deadline passed, queued or in flight.</summary>
    public const string Timeout = "timeout";

    /// <summary>Failed: the model server refused the request itself (a 4xx: a prompt too long for its context...).</summary>
    public const string BadRequest = "bad_request";

    /// <summary>Failed: the model server failed (unreachable, a 5xx, a broken answer).</summary>
    public const string EndpointError = "endpoint_error";

    /// <summary>Failed: an answer that the response schema does not accept.</summary>
    public const string InvalidOutput = "invalid_output";

    /// <summary>Failed: the gateway stopped with the request unanswered.</summary>
    public const string ShuttingDown = "shutting_down";

    public static readonly IReadOnlySet<string> Refusals = new HashSet<string>(StringComparer.Ordinal) { GateClosed, QueueFull, NoLifeforce, CortexDown, UnknownSchema, RequesterMismatch };

    public static readonly IReadOnlySet<string> Failures = new HashSet<string>(StringComparer.Ordinal) { Timeout, BadRequest, EndpointError, InvalidOutput, ShuttingDown };
}

/// <summary>
/// The cortex's answer (<c>cortex_response</c>), on the request's reply subject and on
/// <c>{env}.cortex.nyx.response</c>, its correlation id the request's message id. Answered: the
/// content, the model, the tokens and the lifeforce it cost (booked once). Refused or failed: the
/// reason (<see cref="CortexReasons"/>) and a detail for people.
/// </summary>
public sealed record CortexResponseBody(
    string Requester,
    string Status,
    string? Reason = null,
    string? Detail = null,
    string? Content = null,
    string? Model = null,
    CortexUsage? Usage = null,
    double QueueMs = 0,
    double LatencyMs = 0,
    double LifeforceSpent = 0) : IMessageBody
{
    public static string MessageType => "cortex_response";

    public string? Problem() => Checks.First(
        CortexRequesters.Problem(Requester),
        !RequestStatus.All.Contains(Status) ? $"status '{Status}' is not one of {string.Join(", ", RequestStatus.All)}" : null,
        Status == RequestStatus.Answered && (Content is null || Model is null || Usage is null) ? "an answered response needs content, model and usage" : null,
        Status == RequestStatus.Answered && Reason is not null ? "an answered response has no reason" : null,
        Status == RequestStatus.Refused && (Reason is null || !CortexReasons.Refusals.Contains(Reason)) ? $"a refusal's reason '{Reason}' is not one of {string.Join(", ", CortexReasons.Refusals)}" : null,
        Status == RequestStatus.Failed && (Reason is null || !CortexReasons.Failures.Contains(Reason)) ? $"a failure's reason '{Reason}' is not one of {string.Join(", ", CortexReasons.Failures)}" : null,
        CortexUsage.OutcomeProblem(Detail, Content, Model, Usage, QueueMs, LatencyMs, LifeforceSpent),
        Status != RequestStatus.Answered && LifeforceSpent > 0 ? "only an answered request spends lifeforce" : null);
}

/// <summary>What happened to a cortex request, as a trail.</summary>
public static class CortexTrailEvents
{
    public const string Admitted = "admitted";
    public const string Refused = "refused";
    public const string Answered = "answered";
    public const string Failed = "failed";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Admitted, Refused, Answered, Failed };
}

/// <summary>
/// One decision of the cortex gateway about one request (<c>cortex_trail</c>, published durably on
/// <c>{env}.cortex.nyx.trail</c> and kept in PostgreSQL <c>cortex_trails</c>): admitted, refused,
/// answered or failed, with its reason. An answered trail holds the whole exchange (the messages,
/// the schema, the answer), so each is a training example.
/// </summary>
public sealed record CortexTrailBody(
    Guid RequestId,
    string Requester,
    string Event,
    int Priority,
    string? Reason = null,
    string? Detail = null,
    string? ResponseSchema = null,
    IReadOnlyList<CortexMessage>? Messages = null,
    string? Content = null,
    string? Model = null,
    CortexUsage? Usage = null,
    double QueueMs = 0,
    double LatencyMs = 0,
    double LifeforceSpent = 0,
    int QueueDepth = 0) : IMessageBody
{
    public static string MessageType => "cortex_trail";

    public string? Problem() => Checks.First(
        CortexRequesters.Problem(Requester),
        !CortexTrailEvents.All.Contains(Event) ? $"event '{Event}' is not one of {string.Join(", ", CortexTrailEvents.All)}" : null,
        Priority is < 0 or > 10 ? $"priority {Priority} is outside 0..10" : null,
        Checks.Printable("reason", Reason),
        Checks.Printable("response_schema", ResponseSchema),
        Messages is null ? null : Checks.AtMostItems("messages", Messages, CortexRequestBody.MaxMessages),
        Messages?.Select((m, i) => m is null ? $"messages[{i}] is null" : Checks.Prose($"messages[{i}].content", m.Content, CortexRequestBody.MaxPromptCharacters)).FirstOrDefault(p => p is not null),
        CortexUsage.OutcomeProblem(Detail, Content, Model, Usage, QueueMs, LatencyMs, LifeforceSpent),
        QueueDepth < 0 ? $"queue_depth {QueueDepth} is negative" : null);
}
