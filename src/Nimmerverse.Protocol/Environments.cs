namespace Nimmerverse.Protocol;

/// <summary>
/// The environments a process can belong to. One is the first token of every subject the process
/// touches, so a <c>dev</c> process never reaches <c>prod</c> subjects.
/// </summary>
public static class Environments
{
    public const string Dev = "dev";
    public const string Staging = "staging";
    public const string Prod = "prod";

    public const string Default = Dev;

    /// <summary>The variable that names the environment in every process the project ships: "same image everywhere, only NIMMERVERSE_ENV changes".</summary>
    public const string Variable = "NIMMERVERSE_ENV";

    public static readonly IReadOnlyList<string> All = [Dev, Staging, Prod];

    public static bool IsKnown(string? name) => name is Dev or Staging or Prod;

    /// <summary>"dev, staging, prod": for messages that say what is allowed.</summary>
    public static string Listed => string.Join(", ", All);
}
