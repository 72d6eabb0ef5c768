namespace Nimmerverse.Protocol;

/// <summary>
/// A subscription subject: like <see cref="Subject"/>, but a token after the environment may be
/// <c>*</c> (one token) and the last may be <c>&gt;</c> (the rest). The environment is always a
/// literal, so a subscription can never reach into another environment's subjects.
/// </summary>
public readonly record struct SubjectPattern
{
    private SubjectPattern(string value) => Value = value;

    public string Value { get; }

    public string Environment => Value[..Value.IndexOf('.', StringComparison.Ordinal)];

    public override string ToString() => Value;

    public static implicit operator SubjectPattern(Subject subject) => new(subject.Value);

    /// <exception cref="ArgumentException">When the pattern is not allowed.</exception>
    public static SubjectPattern Parse(string text)
    {
        var tokens = text.Split('.');
        if (tokens.Length < 2 || !Environments.IsKnown(tokens[0]))
        {
            throw new ArgumentException($"'{text}' does not start with an environment ({Environments.Listed})", nameof(text));
        }

        for (var i = 1; i < tokens.Length; i++)
        {
            var wildcard = tokens[i] == "*" || (tokens[i] == ">" && i == tokens.Length - 1);
            if (!wildcard && !Subject.IsValidToken(tokens[i]))
            {
                throw new ArgumentException($"'{text}' has a bad token at position {i}", nameof(text));
            }
        }

        return new SubjectPattern(text);
    }

    /// <summary>True when <paramref name="subject"/> is one this pattern subscribes to.</summary>
    public bool Matches(string subject)
    {
        var pattern = Value.Split('.');
        var tokens = subject.Split('.');
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == ">")
            {
                return tokens.Length > i;
            }

            if (i >= tokens.Length || (pattern[i] != "*" && pattern[i] != tokens[i]))
            {
                return false;
            }
        }

        return tokens.Length == pattern.Length;
    }
}
