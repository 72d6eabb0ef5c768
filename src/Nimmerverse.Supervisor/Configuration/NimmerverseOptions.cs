using Nimmerverse.Actors.Cortex;
using Nimmerverse.Actors.Dashboard;
using Nimmerverse.Actors.Organs;
using System.Text.RegularExpressions;
using Nimmerverse.Actors.Governor;
using Nimmerverse.Actors.Linux;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Actors.Npc;
using Nimmerverse.Actors.Thalamus;
using Nimmerverse.Actors.World;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Persistence;
using Nimmerverse.Actors.Configuration;

namespace Nimmerverse.Supervisor.Configuration;

/// <summary>
/// The one options tree, section <c>Nimmerverse</c>. Sources, later ones winning:
/// <c>appsettings.json</c> beside the binary, <c>/etc/nimmerverse/nimmerverse.json</c>
/// (or <c>--config PATH</c> / <c>NIMMERVERSE_CONFIG</c>), then <c>NIMMERVERSE_*</c> environment
/// variables (<c>NIMMERVERSE_NATS__URL</c> sets <c>Nimmerverse:Nats:Url</c>).
/// Every default here is the conventional local one, so an installed daemon works beside
/// locally installed services. Each section checks its own values (<see cref="Validate"/>), at start.
/// </summary>
public sealed partial record NimmerverseOptions
{
    public const string SectionName = "Nimmerverse";

    /// <summary><c>dev</c>, <c>staging</c> or <c>prod</c>: the first token of every subject this process touches. Default <c>dev</c>.</summary>
    public string Environment { get; init; } = Environments.Default;

    /// <summary>This host's name in subjects, logs and the cluster. Lower-case letters, digits and '-'. Default: the machine name.</summary>
    public string HostName { get; init; } = DefaultHostName();

    /// <summary>Cluster roles this host takes (see <see cref="ClusterRoles"/>). Empty (the default) means every role.</summary>
    public string[] Roles { get; init; } = [];

    public NatsBridgeSettings Nats { get; init; } = new();

    public CellsOptions Cells { get; init; } = new();

    public GateSettings Thalamus { get; init; } = new();

    public NervesOptions Nerves { get; init; } = new();

    public PostgresOptions Postgres { get; init; } = new();

    public GridWorldSettings World { get; init; } = new();

    public NpcHostSettings Npc { get; init; } = new();

    public GovernorSettings Governor { get; init; } = new();

    public CortexSettings Cortex { get; init; } = new();

    public BoundarySettings Boundary { get; init; } = new();

    public OrganManagerSettings Organs { get; init; } = new();

    public TrailRecorderSettings Trails { get; init; } = new();

    public AkkaOptions Akka { get; init; } = new();

    public HttpOptions Http { get; init; } = new();

    public DashboardSettings Dashboard { get; init; } = new();

    public SystemdOptions Systemd { get; init; } = new();

    public LoggingOptions Logging { get; init; } = new();

    // Each section starts as a fresh instance, never a shared Default: the configuration binder
    // binds into the instance it finds.

    /// <summary>Every section under its key.</summary>
    private IEnumerable<(string Name, IOptionsSection Section)> Sections =>
    [
        (nameof(Nats), Nats), (nameof(Cells), Cells), (nameof(Thalamus), Thalamus), (nameof(Nerves), Nerves), (nameof(Postgres), Postgres),
        (nameof(World), World), (nameof(Npc), Npc), (nameof(Governor), Governor), (nameof(Cortex), Cortex), (nameof(Boundary), Boundary), (nameof(Organs), Organs), (nameof(Trails), Trails), (nameof(Akka), Akka),
        (nameof(Http), Http), (nameof(Dashboard), Dashboard), (nameof(Systemd), Systemd), (nameof(Logging), Logging),
    ];

    /// <summary>The roles in force: the configured ones, or all of them when none are configured.</summary>
    public IReadOnlyList<string> EffectiveRoles => Roles.Length == 0 ? ClusterRoles.All : Roles;

    /// <summary>Every problem of the whole tree, each under its full key; the sections check their own values.</summary>
    public IReadOnlyList<ConfigurationError> Validate()
    {
        var problems = new OptionProblems(SectionName);
        if (!Environments.IsKnown(Environment))
        {
            problems.Add("Environment", $"'{Environment}' is not one of {Environments.Listed}");
        }

        if (!HostNamePattern().IsMatch(HostName))
        {
            problems.Add("HostName", $"'{HostName}' must be 1-63 lower-case letters, digits or '-', starting with a letter or digit (it is a NATS subject token)");
        }

        for (var i = 0; i < Roles.Length; i++)
        {
            if (!ClusterRoles.All.Contains(Roles[i]))
            {
                problems.Add($"Roles:{i}", $"'{Roles[i]}' is not a role; roles are {string.Join(", ", ClusterRoles.All)}");
            }
        }

        foreach (var (name, section) in Sections)
        {
            section.Validate(problems.Section(name));
        }

        // The rules that span two sections.
        if (Npc.Population < 0 || Npc.Population > World.Citizens)
        {
            problems.Add("Npc:Population", $"{Npc.Population} is outside 0..{World.Citizens} (World:Citizens: every NPC is a citizen)");
        }

        // A lost host's brains must be gone by the time the cluster removes it and starts its NPCs elsewhere: a
        // placement that has just moved to another member does not know where the lost host's brains ran.
        if (Npc.LeaseTimeout > Akka.StableAfter)
        {
            problems.Add("Npc:LeaseTimeout", $"{Npc.LeaseTimeout} is longer than Akka:StableAfter ({Akka.StableAfter}): a lost host's brains could still run when the cluster starts their NPCs elsewhere");
        }

        return problems.Errors;
    }

    /// <summary>
    /// What must exist on this machine for the daemon to run (checked by <c>run</c> and <c>check-config</c>,
    /// not by <see cref="Validate"/>, which judges values alone): the brain executable, when this host runs a population.
    /// </summary>
    public IReadOnlyList<ConfigurationError> ValidateInstallation()
    {
        var errors = new List<ConfigurationError>();
        var runsBrains = EffectiveRoles.Contains(ClusterRoles.NpcHost) && Npc.Population > 0;
        if (runsBrains && !File.Exists(Npc.BrainPath))
        {
            errors.Add(new ConfigurationError($"{SectionName}:Npc:BrainPath", $"'{Npc.BrainPath}' does not exist (./nimmerverse install puts the brain in brain/ beside the supervisor; Npc:Population 0 runs no brains)"));
        }
        else if (runsBrains && BrainUserProblem() is { } problem)
        {
            errors.Add(new ConfigurationError($"{SectionName}:Npc:User", problem));
        }

        if (EffectiveRoles.Contains(ClusterRoles.Organs) && Organs.InstallationProblem() is { } organ)
        {
            errors.Add(new ConfigurationError($"{SectionName}:Organs:{organ.Key}", organ.Problem));
        }

        foreach (var (key, file) in Persistence.PostgresConnections.PasswordFiles(Postgres))
        {
            if (Persistence.PostgresConnections.PasswordFileProblem(file) is { } problem)
            {
                errors.Add(new ConfigurationError($"{SectionName}:{key}", problem));
            }
        }

        if (Nats.Identities is { } directory)
        {
            var identities = Identities.NatsIdentities.At(directory);
            var missing = new[] { identities.SupervisorCreds(Environment), identities.SigningKey(Environment), identities.AccountJwt(Environment) }.FirstOrDefault(f => !File.Exists(f));
            if (missing is not null)
            {
                errors.Add(new ConfigurationError($"{SectionName}:Nats:Identities", $"'{missing}' does not exist (nimmerverse identities init {directory} makes them)"));
            }
        }

        return errors;
    }

    /// <summary>Why the brains cannot run as <c>Npc:User</c> here, or null (also when it is unset).</summary>
    private string? BrainUserProblem()
    {
        if (string.IsNullOrEmpty(Npc.User))
        {
            return null;
        }

        if (Npc.BrainUser() is not { } user)
        {
            return $"there is no user '{Npc.User}' (./nimmerverse install creates the nyx-* users from systemd/nimmerverse.sysusers)";
        }

        if (user.Uid == UnixUser.CurrentUid)
        {
            return null;
        }

        return UnixUser.CurrentUid != 0
            ? $"brains can run as '{Npc.User}' only when the supervisor runs as root (it runs as uid {UnixUser.CurrentUid}); leave Npc:User empty to run them as this user"
            : user.CannotRun(Npc.BrainPath);
    }

    /// <summary>These options as <c>check-config</c> prints them: passwords in connection strings and URLs replaced.</summary>
    public NimmerverseOptions Redacted() => this with
    {
        Postgres = Postgres.Redacted(),
        Nats = Nats with { Url = RedactUserInfo(Nats.Url) },
    };

    private static string RedactUserInfo(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0
            ? new UriBuilder(uri) { UserName = "********", Password = "" }.Uri.ToString()
            : url;

    internal static string DefaultHostName()
    {
        var name = System.Environment.MachineName.ToLowerInvariant();
        var cleaned = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray()).Trim('-');
        return cleaned.Length == 0 ? "localhost" : cleaned;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex HostNamePattern();
}
