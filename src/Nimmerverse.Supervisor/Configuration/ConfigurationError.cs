using Nimmerverse.Actors.Configuration;

namespace Nimmerverse.Supervisor.Configuration;

/// <summary>
/// Raised when the configuration cannot be used. The daemon turns it into exit code 78
/// (EX_CONFIG), which systemd shows as <c>status=78/CONFIG</c>.
/// </summary>
public sealed class ConfigurationException(IReadOnlyList<ConfigurationError> errors)
    : Exception("Invalid configuration: " + string.Join("; ", errors))
{
    public IReadOnlyList<ConfigurationError> Errors { get; } = errors;
}
