namespace Nimmerverse.Actors.Configuration;

/// <summary>One bad configuration value: the full key (<c>Nimmerverse:Akka:Port</c>) and what is wrong with it.</summary>
public sealed record ConfigurationError(string Key, string Problem)
{
    public override string ToString() => $"{Key}: {Problem}";
}

/// <summary>
/// A section of the options tree (<c>Nimmerverse:X</c>): it checks its own values, with keys relative
/// to it. The actors' settings are sections themselves, so each value and its default is written once.
/// </summary>
public interface IOptionsSection
{
    void Validate(OptionProblems problems);
}

/// <summary>
/// The problems found in the options tree, each under its full key: a section checks its own
/// values with keys relative to it, and <see cref="Section"/> gives a nested section its prefix.
/// </summary>
public sealed class OptionProblems
{
    private readonly string _prefix;
    private readonly List<ConfigurationError> _errors;

    public OptionProblems(string prefix)
        : this(prefix, [])
    {
    }

    private OptionProblems(string prefix, List<ConfigurationError> errors) => (_prefix, _errors) = (prefix, errors);

    public IReadOnlyList<ConfigurationError> Errors => _errors;

    public void Add(string key, string problem) => _errors.Add(new ConfigurationError($"{_prefix}:{key}", problem));

    /// <summary>The problems of a nested section, added to the same list.</summary>
    public OptionProblems Section(string name) => new($"{_prefix}:{name}", _errors);

    public void Positive(string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            Add(key, $"{value} must be positive");
        }
    }

    public void NotNegative(string key, TimeSpan value)
    {
        if (value < TimeSpan.Zero)
        {
            Add(key, $"{value} must not be negative");
        }
    }

    public void AtLeast(string key, TimeSpan value, TimeSpan minimum)
    {
        if (value < minimum)
        {
            Add(key, $"{Shown(value)} is shorter than the {Shown(minimum)} minimum");
        }
    }

    /// <summary>A count within <paramref name="min"/>..<paramref name="max"/>.</summary>
    public void InRange(string key, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            Add(key, $"{value} is outside {min}..{max}");
        }
    }

    /// <summary>A number that must be finite and not negative (a reward, a penalty).</summary>
    public void NotNegative(string key, double value)
    {
        if (!double.IsFinite(value) || value < 0)
        {
            Add(key, $"{value} is not a finite number >= 0");
        }
    }

    /// <summary>A lifeforce amount: finite and not negative.</summary>
    public void Cost(string key, double value)
    {
        if (!double.IsFinite(value) || value < 0)
        {
            Add(key, $"{value} is not a lifeforce amount (a finite number >= 0)");
        }
    }

    /// <summary>A duration as configuration files write it: <c>00:00:00.1</c>, not <c>00:00:00.1000000</c>.</summary>
    public static string Shown(TimeSpan value)
    {
        var text = value.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
        return text.IndexOf('.', text.LastIndexOf(':')) > 0 ? text.TrimEnd('0') : text;
    }
}
