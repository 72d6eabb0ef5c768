namespace Nimmerverse.Supervisor.Lifecycle;

/// <summary>Composes the STATUS= line from every <see cref="IStatusContributor"/>.</summary>
public sealed class StatusLine(IEnumerable<IStatusContributor> contributors)
{
    private readonly IReadOnlyList<IStatusContributor> _contributors = [.. contributors.OrderBy(c => c.Order)];

    public string Compose(string phase) =>
        string.Join("; ", _contributors.Select(c => c.Describe()).OfType<string>().Prepend(phase)).ReplaceLineEndings(" ");
}
