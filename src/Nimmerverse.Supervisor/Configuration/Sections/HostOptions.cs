using Serilog.Events;
using Nimmerverse.Actors.Configuration;

namespace Nimmerverse.Supervisor.Configuration;

/// <summary>Section <c>Nimmerverse:Akka</c>: remoting and cluster membership.</summary>
public sealed record AkkaOptions : IOptionsSection
{
    /// <summary>The ActorSystem's name; every member of the cluster must use the same.</summary>
    public const string SystemName = "nimmerverse";

    /// <summary>Address Akka.Remote binds to. Default <c>127.0.0.1</c>; a multi-host cluster sets the host's own address.</summary>
    public string Hostname { get; init; } = "127.0.0.1";

    /// <summary>Address other members use to reach this one. Default: <see cref="Hostname"/>.</summary>
    public string? PublicHostname { get; init; }

    /// <summary>Akka.Remote TCP port. Default 4053; 0 picks a free port (tests).</summary>
    public int Port { get; init; } = 4053;

    /// <summary>
    /// Seed nodes, e.g. <c>akka.tcp://nimmerverse@theia:4053</c>. Empty (the default): this host
    /// forms a cluster of its own by joining itself.
    /// </summary>
    public string[] SeedNodes { get; init; } = [];

    /// <summary>
    /// How long the cluster's membership must be stable before the keep-majority resolver downs the unreachable side
    /// (Akka's split-brain resolver <c>stable-after</c>): a lost host's singletons and NPCs move after about the failure
    /// detection (3 s) plus this. Default 20 s; at least 2 s.
    /// </summary>
    public TimeSpan StableAfter { get; init; } = TimeSpan.FromSeconds(20);

    public void Validate(OptionProblems problems)
    {
        if (StableAfter < TimeSpan.FromSeconds(2))
        {
            problems.Add("StableAfter", $"{StableAfter} is shorter than 2 s (a busy member's pause would split the cluster)");
        }

        if (string.IsNullOrWhiteSpace(Hostname))
        {
            problems.Add("Hostname", "must not be empty");
        }

        if (PublicHostname is { } publicHost && string.IsNullOrWhiteSpace(publicHost))
        {
            problems.Add("PublicHostname", "must not be empty when set");
        }

        if (Port is < 0 or > 65535)
        {
            problems.Add("Port", $"{Port} is not a TCP port (0-65535; 0 picks a free one)");
        }

        for (var i = 0; i < SeedNodes.Length; i++)
        {
            var seed = SeedNodes[i];
            if (!Uri.TryCreate(seed, UriKind.Absolute, out var uri) || uri.Scheme != "akka.tcp" || uri.UserInfo != SystemName || uri.Port <= 0)
            {
                problems.Add($"SeedNodes:{i}", $"'{seed}' is not a seed address such as akka.tcp://{SystemName}@host:4053");
            }
        }
    }
}

/// <summary>Section <c>Nimmerverse:Http</c>: the dashboard, its API, metrics and health checks.</summary>
public sealed record HttpOptions : IOptionsSection
{
    /// <summary>Listen address. Default <c>http://127.0.0.1:8480</c>.</summary>
    public string Listen { get; init; } = "http://127.0.0.1:8480";

    /// <summary>
    /// A file holding the operator token that control actions (pause, restart, quota, cluster leave...) must present.
    /// Unset (the default): control actions are off; the dashboard and read API work.
    /// </summary>
    public string? OperatorTokenFile { get; init; }

    public void Validate(OptionProblems problems)
    {
        if (!Uri.TryCreate(Listen, UriKind.Absolute, out var http) || http.Scheme != "http" || http.AbsolutePath != "/")
        {
            problems.Add("Listen", $"'{Listen}' is not a listen address such as http://127.0.0.1:8480");
        }

        if (OperatorTokenFile is { } file && (file.Length == 0 || !Path.IsPathRooted(file)))
        {
            problems.Add("OperatorTokenFile", $"'{file}' is not an absolute path");
        }
    }
}

/// <summary>Section <c>Nimmerverse:Systemd</c>.</summary>
public sealed record SystemdOptions : IOptionsSection
{
    /// <summary>How often the STATUS= line is refreshed (it is sent only when it changed). Default 5 s.</summary>
    public TimeSpan StatusInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the node may take to become Up in the cluster before start-up fails. Default 60 s.</summary>
    public TimeSpan JoinTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public void Validate(OptionProblems problems)
    {
        problems.AtLeast("StatusInterval", StatusInterval, TimeSpan.FromMilliseconds(100));
        problems.Positive("JoinTimeout", JoinTimeout);
    }
}

/// <summary>Section <c>Nimmerverse:Logging</c>.</summary>
public sealed record LoggingOptions : IOptionsSection
{
    public static readonly IReadOnlyList<string> Targets = ["auto", "journald", "console"];

    /// <summary>
    /// <c>auto</c> (the default): journald's native socket when systemd connected the output to
    /// the journal (<c>$JOURNAL_STREAM</c>), else the console;
    /// <c>journald</c>; or <c>console</c> (lines prefixed <c>&lt;N&gt;</c> with the syslog priority).
    /// </summary>
    public string Target { get; init; } = "auto";

    /// <summary>Verbose, Debug, Information (the default), Warning, Error or Fatal.</summary>
    public string MinimumLevel { get; init; } = "Information";

    /// <summary>journald's native socket. Default <c>/run/systemd/journal/socket</c>.</summary>
    public string JournalSocket { get; init; } = "/run/systemd/journal/socket";

    public void Validate(OptionProblems problems)
    {
        if (!Targets.Contains(Target))
        {
            problems.Add("Target", $"'{Target}' is not one of {string.Join(", ", Targets)}");
        }

        if (!Enum.TryParse<LogEventLevel>(MinimumLevel, ignoreCase: true, out _) || int.TryParse(MinimumLevel, out _))
        {
            problems.Add("MinimumLevel", $"'{MinimumLevel}' is not one of {string.Join(", ", Enum.GetNames<LogEventLevel>())}");
        }
    }
}
