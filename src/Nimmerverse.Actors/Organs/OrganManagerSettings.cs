using Nimmerverse.Actors.Configuration;
using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Organs;

/// <summary>The organ manager and the organs' door to the bus: section <c>Nimmerverse:Organs</c>.</summary>
public sealed record OrganManagerSettings : IOptionsSection
{
    /// <summary>
    /// This host's cards (GPU ids; on a CPU-only host, logical slots), each holding at most one loaded
    /// organ. Default none listed, which is one slot, <c>0</c> (a list in the configuration is added to
    /// a default list, never replaces it, hence the empty default).
    /// </summary>
    public string[] Cards { get; init; } = [];

    /// <summary>The cards in force: <see cref="Cards"/>, or the one slot <c>0</c>.</summary>
    public IReadOnlyList<string> EffectiveCards => Cards.Length == 0 ? ["0"] : Cards;

    /// <summary>The organ process binary. Default <c>organ/nimmerverse-organ</c> beside the supervisor.</summary>
    public string Executable { get; init; } = Path.Combine(AppContext.BaseDirectory, "organ", "nimmerverse-organ");

    /// <summary>
    /// The user the organ processes run as, with no privilege left (switched with setpriv, as the
    /// brains are); empty: the supervisor's own user. The installed configuration sets
    /// <c>nyx-organs</c>. Switching needs the supervisor to run as root.
    /// </summary>
    public string? User { get; init; }

    /// <summary>The user of <see cref="User"/> as the system knows it; null when unset or unknown (the installation check says which).</summary>
    public Linux.UnixUser? OrganUser() => string.IsNullOrEmpty(User) ? null : Linux.UnixUser.Find(User);

    /// <summary>
    /// Where each organ's own settings are: <c>{organ}.json</c> here (section <c>Organ</c>), when it
    /// exists, is the organ process's <c>--config</c> (its backend: for example the lab's GPU speech
    /// server). Default <c>/etc/nimmerverse/organs</c>.
    /// </summary>
    public string ConfigDirectory { get; init; } = "/etc/nimmerverse/organs";

    /// <summary>The organ's own settings file, or null when there is none.</summary>
    public string? ConfigFileOf(string organ) => Path.Combine(ConfigDirectory, organ + ".json") is var file && File.Exists(file) ? file : null;

    /// <summary>How long a loaded organ with nothing in flight stays after its last reply. Default 60 s.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Organs never unloaded for idleness, comma-separated (the organism's voice stays warm). Default
    /// <c>text-to-speech</c>; empty: none.
    /// </summary>
    public string KeepWarm { get; init; } = OrganNames.TextToSpeech;

    /// <summary>The organs <see cref="KeepWarm"/> names.</summary>
    public IReadOnlyList<string> KeptWarm => KeepWarm.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>How long an organ holds its card before another model may take it while it still has work. Default 5 s.</summary>
    public TimeSpan MinResidency { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a request for another model may wait before it takes a busy card anyway (after the residency). Default 20 s.</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How long an organ may take to load before it is given up. Default 60 s.</summary>
    public TimeSpan LoadTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long one request may take in the organ before the organ is deemed hung, killed and restarted. Default 30 s.</summary>
    public TimeSpan ProcessingTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a ready organ is asked <c>/health</c> between calls; one that does not answer (within 5 s at most) is killed and loaded again when needed. Default 10 s.</summary>
    public TimeSpan HealthCheckInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The first wait before a crashed organ is loaded again; doubled per crash in a row. Default 1 s.</summary>
    public TimeSpan RestartBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest such wait. Default 30 s.</summary>
    public TimeSpan MaxRestartBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Lifeforce an answered vision request costs. Default 8.</summary>
    public double VisionCost { get; init; } = 8;

    /// <summary>Lifeforce an answered speech-to-text request costs. Default 5.</summary>
    public double SpeechToTextCost { get; init; } = 5;

    /// <summary>Lifeforce an answered text-to-speech request costs. Default 4.</summary>
    public double TextToSpeechCost { get; init; } = 4;

    /// <summary>
    /// Gate domains whose rise loads an organ before anything asks for it: domain → organ. Default
    /// <c>proximity</c> → <c>vision</c> (something is near: look). An empty organ removes a domain.
    /// </summary>
    public Dictionary<string, string> Prewarm { get; init; } = new(StringComparer.Ordinal) { ["proximity"] = OrganNames.Vision };

    /// <summary>The largest request taken from the bus, media included (base64). Default 1 MiB, the NATS server's own default maximum.</summary>
    public int MaxRequestBytes { get; init; } = OrganRequestBody.MaxPayloadBytes;

    /// <summary>The largest media taken from the JetStream object store for one request. Default 8 MiB, what an organ process takes by default.</summary>
    public long MaxMediaBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>What an answered request to <paramref name="organ"/> costs.</summary>
    public double CostOf(string organ) => organ switch
    {
        OrganNames.Vision => VisionCost,
        OrganNames.SpeechToText => SpeechToTextCost,
        OrganNames.TextToSpeech => TextToSpeechCost,
        _ => throw new ArgumentException($"'{organ}' is not one of {OrganNames.Listed}", nameof(organ)),
    };

    /// <summary>The organ a rising gate of <paramref name="domain"/> pre-warms, or null.</summary>
    public string? PrewarmedBy(string domain) => Prewarm.TryGetValue(domain, out var organ) && !string.IsNullOrEmpty(organ) ? organ : null;

    /// <summary>Why the organ processes cannot run here (the key, and why), or null: checked at start on a host with the <c>organs</c> role, not with the values.</summary>
    public (string Key, string Problem)? InstallationProblem()
    {
        if (!File.Exists(Executable))
        {
            return ("Executable", $"'{Executable}' does not exist (./nimmerverse publishes it to organ/ beside the supervisor)");
        }

        if (string.IsNullOrEmpty(User))
        {
            return null;
        }

        if (OrganUser() is not { } user)
        {
            return ("User", $"there is no user '{User}' (./nimmerverse install creates the nyx-* users from systemd/nimmerverse.sysusers)");
        }

        return user.Uid == Linux.UnixUser.CurrentUid ? null
            : Linux.UnixUser.CurrentUid != 0 ? ("User", $"organs can run as '{User}' only when the supervisor runs as root (it runs as uid {Linux.UnixUser.CurrentUid}); leave Organs:User empty to run them as this user")
            : user.CannotRun(Executable) is { } cannot ? ("User", cannot) : null;
    }

    public void Validate(OptionProblems problems)
    {
        if (!string.IsNullOrEmpty(User) && !Linux.UnixUser.IsName(User))
        {
            problems.Add("User", $"'{User}' is not a user name (lower-case letters, digits, '_' and '-', at most 32)");
        }

        if (Cards.Any(string.IsNullOrWhiteSpace) || Cards.Distinct(StringComparer.Ordinal).Count() != Cards.Length)
        {
            problems.Add("Cards", "must name each card once, none blank");
        }

        if (string.IsNullOrWhiteSpace(Executable))
        {
            problems.Add("Executable", "is empty");
        }

        foreach (var (domain, organ) in Prewarm.Where(p => !string.IsNullOrEmpty(p.Value) && !OrganNames.IsKnown(p.Value)))
        {
            problems.Add($"Prewarm:{domain}", $"'{organ}' is not one of {OrganNames.Listed}");
        }

        foreach (var (name, cost) in new[] { ("VisionCost", VisionCost), ("SpeechToTextCost", SpeechToTextCost), ("TextToSpeechCost", TextToSpeechCost) })
        {
            if (!double.IsFinite(cost) || cost < 0)
            {
                problems.Add(name, $"{cost} is not a cost (0 or more)");
            }
        }

        if (MaxMediaBytes is < 1024 or > 1024L * 1024 * 1024)
        {
            problems.Add("MaxMediaBytes", $"{MaxMediaBytes} is outside 1024..1073741824");
        }

        if (MaxRequestBytes is < 1024 or > 8 * 1024 * 1024)
        {
            problems.Add("MaxRequestBytes", $"{MaxRequestBytes} is outside 1024..8388608");
        }

        foreach (var organ in KeptWarm.Where(o => !OrganNames.IsKnown(o)))
        {
            problems.Add("KeepWarm", $"'{organ}' is not one of {OrganNames.Listed}");
        }

        problems.Positive("IdleTimeout", IdleTimeout);
        problems.NotNegative("MinResidency", MinResidency);
        problems.Positive("MaxWait", MaxWait);
        problems.Positive("LoadTimeout", LoadTimeout);
        problems.Positive("ProcessingTimeout", ProcessingTimeout);
        problems.Positive("RestartBackoff", RestartBackoff);
        problems.Positive("HealthCheckInterval", HealthCheckInterval);
        problems.AtLeast("MaxRestartBackoff", MaxRestartBackoff, RestartBackoff);
    }
}
