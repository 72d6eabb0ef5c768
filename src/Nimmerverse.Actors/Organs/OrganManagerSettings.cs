using Nimmerverse.Actors.Configuration;
using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Organs;

/// <summary>The organ manager: section <c>Nimmerverse:Organs</c>.</summary>
public sealed record OrganManagerSettings : IOptionsSection
{
    /// <summary>This host's cards (GPU ids; on a CPU-only host, logical slots), each holding at most one loaded organ. Default one slot, <c>0</c>.</summary>
    public IReadOnlyList<string> Cards { get; init; } = ["0"];

    /// <summary>The organ process binary. Default <c>organ/nimmerverse-organ</c> beside the supervisor.</summary>
    public string Executable { get; init; } = Path.Combine(AppContext.BaseDirectory, "organ", "nimmerverse-organ");

    /// <summary>How long a loaded organ with nothing in flight stays after its last reply. Default 60 s.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Organs never unloaded for idleness (the organism's voice stays warm). Default text-to-speech.</summary>
    public IReadOnlyList<string> KeepWarm { get; init; } = [OrganNames.TextToSpeech];

    /// <summary>How long an organ holds its card before another model may take it while it still has work. Default 5 s.</summary>
    public TimeSpan MinResidency { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a request for another model may wait before it takes a busy card anyway (after the residency). Default 20 s.</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How long an organ may take to load before it is given up. Default 60 s.</summary>
    public TimeSpan LoadTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long one request may take in the organ before the organ is deemed hung, killed and restarted. Default 30 s.</summary>
    public TimeSpan ProcessingTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The first wait before a crashed organ is loaded again; doubled per crash in a row. Default 1 s.</summary>
    public TimeSpan RestartBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest such wait. Default 30 s.</summary>
    public TimeSpan MaxRestartBackoff { get; init; } = TimeSpan.FromSeconds(30);

    public void Validate(OptionProblems problems)
    {
        if (Cards.Count == 0 || Cards.Any(string.IsNullOrWhiteSpace) || Cards.Distinct(StringComparer.Ordinal).Count() != Cards.Count)
        {
            problems.Add("Cards", "must name at least one card, each once");
        }

        if (!File.Exists(Executable))
        {
            problems.Add("Executable", $"'{Executable}' does not exist (./nimmerverse publishes it to organ/ beside the supervisor)");
        }

        foreach (var organ in KeepWarm.Where(o => !OrganNames.IsKnown(o)))
        {
            problems.Add("KeepWarm", $"'{organ}' is not one of {OrganNames.Listed}");
        }

        problems.Positive("IdleTimeout", IdleTimeout);
        problems.NotNegative("MinResidency", MinResidency);
        problems.Positive("MaxWait", MaxWait);
        problems.Positive("LoadTimeout", LoadTimeout);
        problems.Positive("ProcessingTimeout", ProcessingTimeout);
        problems.Positive("RestartBackoff", RestartBackoff);
        problems.AtLeast("MaxRestartBackoff", MaxRestartBackoff, RestartBackoff);
    }
}
