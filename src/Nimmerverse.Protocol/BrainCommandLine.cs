using System.Globalization;

namespace Nimmerverse.Protocol;

/// <summary>
/// The command line of <c>nimmerverse-brain</c>, built by the supervisor's NPC process actor and
/// parsed by the brain: <c>--id 7 --tick-rate 5 --env dev --nats nats://127.0.0.1:4222 --role medium</c>.
/// </summary>
/// <param name="Id">The NPC's id, 0 to <see cref="MaxId"/>.</param>
/// <param name="TickRateHz">Its tick rate at start, within <see cref="TickRates"/>.</param>
/// <param name="Environment">The subject environment, one of <see cref="Environments"/>.</param>
/// <param name="NatsUrl">The NATS server.</param>
/// <param name="Seed">Seed of the initial weights and of exploration (the id unless given).</param>
/// <param name="Role">The brain's network size, one of <see cref="Roles"/>.</param>
/// <param name="CheckpointEvery">How often the brain hands its weights to the supervisor.</param>
/// <param name="Parent">
/// The supervisor that nothing will replace as this brain's keeper (no systemd to keep its scope
/// for a successor): the brain ends when that process is no longer its parent. Null under systemd,
/// where a restarted supervisor adopts the brains.
/// </param>
/// <param name="CredsFile">
/// This NPC's NATS credentials (a <c>.creds</c> file), <see cref="CredsOnStandardInput"/> when they come on
/// standard input (as the supervisor hands them over: never on disk, so no other process of the
/// brains' user can read them), or null on a bus without authentication.
/// </param>
/// <param name="AskCortexAfter">After this many failed errands in a row the brain asks the cortex which way to go; 0: never.</param>
/// <param name="Lease">
/// How long the brain runs without its supervisor renewing its lease (a <c>renew_lease</c> command) before it stops
/// itself: a brain cut off from its supervisor or the bus must not run on while the cluster starts it elsewhere.
/// Null: no lease (a brain run by hand).
/// </param>
/// <param name="Engine">What runs the brain's networks, one of <see cref="Engines"/>.</param>
/// <param name="Fresh">
/// A newcomer in the NPC's place: it learns from nothing rather than from the NPC's latest checkpoint,
/// and hands over a checkpoint of its own at once, so that a restart continues this brain, not the one before.
/// </param>
public sealed record BrainCommandLine(int Id, double TickRateHz, string Environment, Uri NatsUrl, int Seed, string Role, TimeSpan CheckpointEvery, int? Parent = null, string? CredsFile = null, int AskCortexAfter = 0, TimeSpan? Lease = null, string Engine = BrainCommandLine.DefaultEngine, bool Fresh = false)
{
    public const int MaxId = 1_000_000;

    public const string DefaultNatsUrl = "nats://127.0.0.1:4222";

    public const string DefaultRole = "medium";

    /// <summary>Managed code on SIMD primitives: no native library, a fraction of LibTorch's memory.</summary>
    public const string LeanEngine = "lean";

    /// <summary>TorchSharp over LibTorch: for large networks and GPU hosts.</summary>
    public const string TorchEngine = "torch";

    public const string DefaultEngine = LeanEngine;

    /// <summary>The engines a brain can run its networks on; a checkpoint written by one loads in the other.</summary>
    public static readonly IReadOnlyList<string> Engines = [LeanEngine, TorchEngine];

    /// <summary><c>--creds -</c>: the credentials are read from standard input, to its end.</summary>
    public const string CredsOnStandardInput = "-";

    /// <summary>The network sizes a brain can have, smallest first.</summary>
    public static readonly IReadOnlyList<string> Roles = ["small", DefaultRole, "large"];

    public static readonly TimeSpan DefaultCheckpointEvery = TimeSpan.FromSeconds(30);

    private const double MinCheckpointSeconds = 5;
    private const double MaxCheckpointSeconds = 3600;

    public const string Usage = """
        usage: nimmerverse-brain --id N [--tick-rate HZ] [--env dev|staging|prod] [--nats URL]
                                 [--seed S] [--role small|medium|large] [--checkpoint-every SECONDS]
                                 [--parent PID] [--creds PATH|-] [--ask-cortex-after K]
                                 [--lease SECONDS] [--engine lean|torch] [--start checkpoint|fresh]

          --id N                    the NPC's id, 0-1000000 (required)
          --tick-rate HZ            ticks per second, 1-20 (default 5)
          --env ENV                 subject environment: dev, staging or prod (default dev)
          --nats URL                NATS server (default nats://127.0.0.1:4222)
          --seed S                  seed of the network's initial weights and of exploration
                                    (default: the id)
          --role ROLE               network size: small, medium or large (default medium)
          --checkpoint-every SECS   hand the weights to the supervisor this often, 5-3600
                                    (default 30; also on the checkpoint command and on SIGTERM)
          --parent PID              end when process PID is no longer this brain's parent
                                    (the supervisor, when nothing would adopt an orphan)
          --creds PATH|-            NATS credentials of this NPC (minted by the supervisor);
                                    - reads them from standard input
          --ask-cortex-after K      after K failed errands in a row, ask the cortex which way
                                    to go, 0-1000 (default 0: never)
          --lease SECONDS           stop (with a last checkpoint) when the supervisor has not
                                    renewed this brain's lease for SECONDS, 2-600 (default:
                                    no lease)
          --engine ENGINE           what runs the networks: lean (managed code, the default)
                                    or torch (LibTorch); checkpoints move between them
          --start FROM              checkpoint: from the NPC's latest checkpoint (the default);
                                    fresh: a newcomer, from nothing, checkpointed at once
        """;

    public const int MaxAskCortexAfter = 1000;

    /// <summary>The shortest and longest lease a brain accepts, in seconds.</summary>
    public const double MinLeaseSeconds = 2, MaxLeaseSeconds = 600;

    /// <summary>
    /// The brain's exit code (sysexits(3) EX_TEMPFAIL) when no supervisor renewed its lease: it stopped itself, so its
    /// supervisor was cut off, paused or starved for a whole lease, and must not simply start it again.
    /// </summary>
    public const int LeaseLapsedExitCode = 75;

    /// <summary>
    /// How long a brain whose lease lapsed gives its last checkpoint's handover (an earlier one still in flight
    /// included): its supervisor may be the reason it lapsed, and the cluster counts on it being gone soon after.
    /// </summary>
    public static readonly TimeSpan LapsedHandover = TimeSpan.FromSeconds(1);

    /// <summary>A brain's command line with every default but the id, the rate, the bus, the role and the parent to end with.</summary>
    public static BrainCommandLine For(int id, double tickRateHz, string environment, Uri natsUrl, string role, int? parent = null, int askCortexAfter = 0, TimeSpan? lease = null) =>
        new(id, tickRateHz, environment, natsUrl, id, role, DefaultCheckpointEvery, parent, AskCortexAfter: askCortexAfter, Lease: lease);

    /// <summary>The arguments that <see cref="Parse"/> reads back as this record.</summary>
    public IReadOnlyList<string> ToArguments()
    {
        var arguments = new List<string>
        {
            "--id", Id.ToString(CultureInfo.InvariantCulture),
            "--tick-rate", TickRateHz.ToString(CultureInfo.InvariantCulture),
            "--env", Environment,
            "--nats", NatsUrl.ToString(),
            "--role", Role,
        };
        if (Seed != Id)
        {
            arguments.AddRange(["--seed", Seed.ToString(CultureInfo.InvariantCulture)]);
        }

        if (CheckpointEvery != DefaultCheckpointEvery)
        {
            arguments.AddRange(["--checkpoint-every", CheckpointEvery.TotalSeconds.ToString(CultureInfo.InvariantCulture)]);
        }

        if (Parent is { } parent)
        {
            arguments.AddRange(["--parent", parent.ToString(CultureInfo.InvariantCulture)]);
        }

        if (CredsFile is { } creds)
        {
            arguments.AddRange(["--creds", creds]);
        }

        if (AskCortexAfter != 0)
        {
            arguments.AddRange(["--ask-cortex-after", AskCortexAfter.ToString(CultureInfo.InvariantCulture)]);
        }

        if (Lease is { } lease)
        {
            arguments.AddRange(["--lease", lease.TotalSeconds.ToString(CultureInfo.InvariantCulture)]);
        }

        if (Engine != DefaultEngine)
        {
            arguments.AddRange(["--engine", Engine]);
        }

        if (Fresh)
        {
            arguments.AddRange(["--start", "fresh"]);
        }

        return arguments;
    }

    /// <summary>
    /// Why <c>NIMMERVERSE_ENV</c> cannot be used with these arguments (not an environment, or
    /// <c>--env</c> names another), or null. The brain exits 78 with it, naming both.
    /// </summary>
    public static string? EnvironmentConflict(IReadOnlyList<string> args, string? environmentSwitch)
    {
        if (string.IsNullOrEmpty(environmentSwitch))
        {
            return null;
        }

        if (!Environments.IsKnown(environmentSwitch))
        {
            return $"{Environments.Variable} '{environmentSwitch}' is not one of {Environments.Listed}";
        }

        for (var i = 0; i + 1 < args.Count; i++)
        {
            if (args[i] == "--env" && args[i + 1] != environmentSwitch)
            {
                return $"--env '{args[i + 1]}' and {Environments.Variable} '{environmentSwitch}' disagree; give one, or both alike";
            }
        }

        return null;
    }

    /// <summary>
    /// Parses the arguments, or returns the sentence that says what is wrong (the brain exits 64 with
    /// <see cref="Usage"/>). <paramref name="environmentSwitch"/> (<c>NIMMERVERSE_ENV</c>) names the
    /// environment when <c>--env</c> does not; see <see cref="EnvironmentConflict"/> for when both do.
    /// </summary>
    public static (BrainCommandLine? Parsed, string? Error) Parse(IReadOnlyList<string> args, string? environmentSwitch = null)
    {
        int? id = null;
        var tickRate = TickRates.DefaultHz;
        var environment = string.IsNullOrEmpty(environmentSwitch) ? Environments.Default : environmentSwitch;
        var nats = DefaultNatsUrl;
        int? seed = null;
        var role = DefaultRole;
        var checkpointSeconds = DefaultCheckpointEvery.TotalSeconds;
        int? parent = null;
        string? creds = null;
        var askAfter = 0;
        TimeSpan? lease = null;
        var engine = DefaultEngine;
        var fresh = false;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name is not ("--id" or "--tick-rate" or "--env" or "--nats" or "--seed" or "--role" or "--checkpoint-every" or "--parent" or "--creds" or "--ask-cortex-after" or "--lease" or "--engine" or "--start"))
            {
                return (null, $"unknown argument '{name}'");
            }

            if (i + 1 >= args.Count)
            {
                return (null, $"{name} needs a value");
            }

            var value = args[++i];
            switch (name)
            {
                case "--id":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsedId) || parsedId > MaxId)
                    {
                        return (null, $"--id '{value}' is not a whole number from 0 to {MaxId}");
                    }

                    id = parsedId;
                    break;
                case "--tick-rate":
                    if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out tickRate) || !TickRates.IsValid(tickRate))
                    {
                        return (null, $"--tick-rate '{value}' is not a rate from {TickRates.MinHz} to {TickRates.MaxHz} Hz");
                    }

                    break;
                case "--env":
                    if (!Environments.IsKnown(value))
                    {
                        return (null, $"--env '{value}' is not one of {Environments.Listed}");
                    }

                    environment = value;
                    break;
                case "--seed":
                    if (!int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsedSeed))
                    {
                        return (null, $"--seed '{value}' is not a whole number");
                    }

                    seed = parsedSeed;
                    break;
                case "--role":
                    if (!Roles.Contains(value))
                    {
                        return (null, $"--role '{value}' is not one of {string.Join(", ", Roles)}");
                    }

                    role = value;
                    break;
                case "--checkpoint-every":
                    if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out checkpointSeconds) || !double.IsFinite(checkpointSeconds)
                        || checkpointSeconds is < MinCheckpointSeconds or > MaxCheckpointSeconds)
                    {
                        return (null, $"--checkpoint-every '{value}' is not a number of seconds from {MinCheckpointSeconds} to {MaxCheckpointSeconds}");
                    }

                    break;
                case "--parent":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsedParent) || parsedParent < 2)
                    {
                        return (null, $"--parent '{value}' is not a process id");
                    }

                    parent = parsedParent;
                    break;
                case "--ask-cortex-after":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out askAfter) || askAfter > MaxAskCortexAfter)
                    {
                        return (null, $"--ask-cortex-after '{value}' is not a number of errands from 0 to {MaxAskCortexAfter}");
                    }

                    break;
                case "--lease":
                    if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var leaseSeconds) || !double.IsFinite(leaseSeconds)
                        || leaseSeconds is < MinLeaseSeconds or > MaxLeaseSeconds)
                    {
                        return (null, $"--lease '{value}' is not a number of seconds from {MinLeaseSeconds} to {MaxLeaseSeconds}");
                    }

                    lease = TimeSpan.FromSeconds(leaseSeconds);
                    break;
                case "--engine":
                    if (!Engines.Contains(value))
                    {
                        return (null, $"--engine '{value}' is not one of {string.Join(", ", Engines)}");
                    }

                    engine = value;
                    break;
                case "--creds":
                    creds = value;
                    break;
                case "--start":
                    if (value is not ("checkpoint" or "fresh"))
                    {
                        return (null, $"--start '{value}' is not checkpoint or fresh");
                    }

                    fresh = value == "fresh";
                    break;
                default:
                    nats = value;
                    break;
            }
        }

        if (id is null)
        {
            return (null, "--id is required");
        }

        if (!Uri.TryCreate(nats, UriKind.Absolute, out var natsUrl) || natsUrl.Scheme is not ("nats" or "tls" or "ws" or "wss"))
        {
            return (null, $"--nats '{nats}' is not a NATS URL such as {DefaultNatsUrl}");
        }

        return (new BrainCommandLine(id.Value, tickRate, environment, natsUrl, seed ?? id.Value, role, TimeSpan.FromSeconds(checkpointSeconds), parent, creds, askAfter, lease, engine, fresh), null);
    }
}
