namespace Nimmerverse.Protocol;

/// <summary>How a request to the cortex or to an organ ended: answered, refused (at once, with a reason) or failed (after it was taken).</summary>
public static class RequestStatus
{
    public const string Answered = "answered";
    public const string Refused = "refused";
    public const string Failed = "failed";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Answered, Refused, Failed };
}
