namespace Nimmerverse.Protocol;

/// <summary>
/// A NATS subject of the form <c>{environment}.{domain}.{service}.{detail...}</c>, validated
/// token by token: no empty tokens, no wildcards or whitespace (a token taken from data can
/// never widen a subscription), and the environment is <c>dev</c>, <c>staging</c> or <c>prod</c>.
/// </summary>
public readonly record struct Subject
{
    public const int MaxLength = 256;

    public const int MinTokens = 4;

    private Subject(string value) => Value = value;

    public string Value { get; }

    /// <summary>The first token: the environment the subject belongs to.</summary>
    public string Environment => Value[..Value.IndexOf('.', StringComparison.Ordinal)];

    public override string ToString() => Value;

    /// <summary>Builds a subject from an environment and further tokens, refusing any bad token.</summary>
    /// <exception cref="ArgumentException">When a token or the environment is not allowed.</exception>
    public static Subject Create(string environment, params string[] tokens)
    {
        for (var i = 0; i < tokens.Length; i++)
        {
            if (!IsValidToken(tokens[i]))
            {
                throw new ArgumentException($"token {i + 1} is not a subject token (letters, digits, '-', '_'; no '.', '*' or '>')", nameof(tokens));
            }
        }

        var text = string.Join('.', tokens.Prepend(environment));
        return TryParse(text, out var subject, out var problem) ? subject : throw new ArgumentException(problem, nameof(tokens));
    }

    public static bool TryParse(string? text, out Subject subject, out string? problem)
    {
        subject = default;
        problem = Check(text);
        if (problem is not null)
        {
            return false;
        }

        subject = new Subject(text!);
        return true;
    }

    /// <summary>True when <paramref name="token"/> may stand as one token of a subject.</summary>
    public static bool IsValidToken(string? token) => token is { Length: > 0 } && token.All(IsTokenChar);

    private static string? Check(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "the subject is empty";
        }

        if (text.Length > MaxLength)
        {
            return $"the subject is longer than {MaxLength} characters";
        }

        var tokens = text.Split('.');
        if (tokens.Length < MinTokens)
        {
            return $"'{Shown(text)}' has {tokens.Length} tokens; a subject is {{environment}}.{{domain}}.{{service}}.{{detail}}";
        }

        for (var i = 0; i < tokens.Length; i++)
        {
            if (!IsValidToken(tokens[i]))
            {
                return tokens[i].Length == 0
                    ? $"'{Shown(text)}' has an empty token at position {i}"
                    : $"'{Shown(text)}' has a token with a character other than letters, digits, '-' and '_' at position {i}";
            }
        }

        return Environments.IsKnown(tokens[0]) ? null : $"'{Shown(tokens[0])}' is not an environment ({Environments.Listed})";
    }

    private static bool IsTokenChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';

    /// <summary>Subjects come from the network; what goes into an error message is bounded and printable.</summary>
    private static string Shown(string text)
    {
        var printable = new string(text.Take(80).Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return text.Length > 80 ? printable + "..." : printable;
    }
}
