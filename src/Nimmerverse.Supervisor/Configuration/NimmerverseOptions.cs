using Nimmerverse.Actors.Cells.Battery;
using Nimmerverse.Actors.Cells.MathCell;
using Nimmerverse.Actors.Cells.Sensor;
using Nimmerverse.Actors.Governor;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Actors.Nerves;
using Nimmerverse.Actors.Npc;
using Nimmerverse.Actors.World;
using Nimmerverse.Actors.Thalamus;
using Nimmerverse.Protocol;

namespace Nimmerverse.Supervisor.Configuration;

/// <summary>
/// The one options tree, section <c>Nimmerverse</c>. Sources, later ones winning:
/// <c>appsettings.json</c> beside the binary, <c>/etc/nimmerverse/nimmerverse.json</c>
/// (or <c>--config PATH</c> / <c>NIMMERVERSE_CONFIG</c>), then <c>NIMMERVERSE_*</c> environment
/// variables (<c>NIMMERVERSE_NATS__URL</c> sets <c>Nimmerverse:Nats:Url</c>).
/// Every default here is the conventional local one, so an installed daemon works beside
/// locally installed services. <see cref="OptionsValidator"/> checks every value at start.
/// </summary>
public sealed class NimmerverseOptions
{
    public const string SectionName = "Nimmerverse";

    /// <summary><c>dev</c>, <c>staging</c> or <c>prod</c>: the first token of every subject this process touches. Default <c>dev</c>.</summary>
    public string Environment { get; init; } = "dev";

    /// <summary>This host's name in subjects, logs and the cluster. Lower-case letters, digits and '-'. Default: the machine name.</summary>
    public string HostName { get; init; } = DefaultHostName();

    /// <summary>Cluster roles this host takes (see <see cref="ClusterRoles"/>). Empty (the default) means every role.</summary>
    public string[] Roles { get; init; } = [];

    public NatsOptions Nats { get; init; } = new();

    public CellsOptions Cells { get; init; } = new();

    public ThalamusOptions Thalamus { get; init; } = new();

    public NervesOptions Nerves { get; init; } = new();

    public PostgresOptions Postgres { get; init; } = new();

    public WorldOptions World { get; init; } = new();

    public NpcOptions Npc { get; init; } = new();

    public GovernorOptions Governor { get; init; } = new();

    public TrailsOptions Trails { get; init; } = new();

    public AkkaOptions Akka { get; init; } = new();

    public HttpOptions Http { get; init; } = new();

    public SystemdOptions Systemd { get; init; } = new();

    public LoggingOptions Logging { get; init; } = new();

    public TestingOptions Testing { get; init; } = new();

    /// <summary>The roles in force: the configured ones, or all of them when none are configured.</summary>
    public IReadOnlyList<string> EffectiveRoles => Roles.Length == 0 ? ClusterRoles.All : Roles;

    internal static string DefaultHostName()
    {
        var name = System.Environment.MachineName.ToLowerInvariant();
        var cleaned = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray()).Trim('-');
        return cleaned.Length == 0 ? "localhost" : cleaned;
    }
}

/// <summary>Section <c>Nimmerverse:Nats</c>.</summary>
public sealed class NatsOptions
{
    /// <summary>The NATS server. Default <c>nats://127.0.0.1:4222</c>.</summary>
    public string Url { get; init; } = "nats://127.0.0.1:4222";

    /// <summary>Larger incoming messages are rejected and counted. Default 65536 bytes.</summary>
    public int MaxPayloadBytes { get; init; } = WireCodec.DefaultMaxPayloadBytes;

    /// <summary>Messages one subscription may buffer before the newest are dropped (and counted). Default 65536.</summary>
    public int SubscriptionBuffer { get; init; } = NatsBridgeSettings.DefaultSubscriptionBuffer;

    /// <summary>Each rejection reason is logged at most once per interval per subject. Default 10 s.</summary>
    public TimeSpan RejectionLogInterval { get; init; } = NatsBridgeSettings.DefaultRejectionLogInterval;

    /// <summary>How long the JetStream gate stream keeps a transition (the spool on its way to PostgreSQL). Default 7 days.</summary>
    public TimeSpan GateStreamMaxAge { get; init; } = NatsBridgeSettings.DefaultGateStreamMaxAge;

    public NatsBridgeSettings ToSettings(string environment) => new(environment, MaxPayloadBytes, SubscriptionBuffer, RejectionLogInterval, GateStreamMaxAge: GateStreamMaxAge);
}

/// <summary>Section <c>Nimmerverse:Thalamus</c>: how the gates move (see README, "Gates").</summary>
public sealed class ThalamusOptions
{
    /// <summary>Waves of one domain within this window are correlated. Default 1.5 s.</summary>
    public TimeSpan CorrelationWindow { get; init; } = GateSettings.Default.CorrelationWindow;

    /// <summary>Each step the gate value is multiplied by this (0..1). Default 0.95.</summary>
    public double Decay { get; init; } = GateSettings.Default.Decay;

    /// <summary>How often gates decay. Default 100 ms.</summary>
    public TimeSpan StepInterval { get; init; } = GateSettings.Default.EffectiveStepInterval;

    /// <summary>Above it a gate is OPEN. Default 0.5.</summary>
    public double OpenThreshold { get; init; } = GateSettings.Default.OpenThreshold;

    /// <summary>Below it a gate is CLOSED. Default -0.5.</summary>
    public double CloseThreshold { get; init; } = GateSettings.Default.CloseThreshold;

    /// <summary>How far one fully correlated, fully confident wave moves a gate. Default 0.25.</summary>
    public double WaveWeight { get; init; } = GateSettings.Default.WaveWeight;

    /// <summary>Most gates (wave domains) kept; waves of further domains are refused and counted. Default 256.</summary>
    public int MaxGates { get; init; } = GateSettings.Default.MaxGates;

    public GateSettings ToSettings() => new(CorrelationWindow, Decay, StepInterval, OpenThreshold, CloseThreshold, WaveWeight, MaxGates);
}

/// <summary>Section <c>Nimmerverse:Nerves</c>.</summary>
public sealed class NervesOptions
{
    public CollisionAvoidanceOptions CollisionAvoidance { get; init; } = new();

    public ExplorationOptions Exploration { get; init; } = new();
}

/// <summary>Section <c>Nimmerverse:Nerves:Exploration</c>. Opt-in: every step spends lifeforce.</summary>
public sealed class ExplorationOptions
{
    /// <summary>One motor move per interval. Unset (the default): no exploration.</summary>
    public TimeSpan? StepInterval { get; init; }

    /// <summary>Lifeforce per move. Default 0.3.</summary>
    public double MoveCost { get; init; } = ExplorationSettings.DefaultMoveCost;

    /// <summary>The nerve's settings, or null when exploration is off.</summary>
    public ExplorationSettings? ToSettings() => StepInterval is { } step ? new(step, MoveCost) : null;
}

/// <summary>Section <c>Nimmerverse:Nerves:CollisionAvoidance</c>.</summary>
public sealed class CollisionAvoidanceOptions
{
    /// <summary>Under this distance it evades. Default 30 cm.</summary>
    public double DangerCm { get; init; } = CollisionAvoidanceSettings.Default.DangerCm;

    /// <summary>At or over this distance it resumes. Default 50 cm.</summary>
    public double ClearCm { get; init; } = CollisionAvoidanceSettings.Default.ClearCm;

    /// <summary>Successful evasions after which it becomes a reflex. Default 10.</summary>
    public int ReflexAfter { get; init; } = CollisionAvoidanceSettings.Default.ReflexAfter;

    public CollisionAvoidanceSettings ToSettings() => CollisionAvoidanceSettings.Default with { DangerCm = DangerCm, ClearCm = ClearCm, ReflexAfter = ReflexAfter };
}

/// <summary>Section <c>Nimmerverse:Cells</c>.</summary>
public sealed class CellsOptions
{
    public MathCellOptions Math { get; init; } = new();

    public BatteryCellOptions Battery { get; init; } = new();

    public SensorCellOptions Sensor { get; init; } = new();
}

/// <summary>Section <c>Nimmerverse:Cells:Battery</c>: the cell that watches the lifeforce reserve.</summary>
public sealed class BatteryCellOptions
{
    /// <summary>How often the reserve is read. Default 5 s.</summary>
    public TimeSpan PollInterval { get; init; } = BatteryCellSettings.Default.PollInterval;

    /// <summary>Below this stock (LF) the cell sends energy waves. Default 20.</summary>
    public double LowReserve { get; init; } = BatteryCellSettings.Default.LowReserve;

    /// <summary>Lifeforce per reading. Default 0.01.</summary>
    public double ReadCost { get; init; } = BatteryCellSettings.Default.ReadCost;

    public BatteryCellSettings ToSettings() => new(PollInterval, LowReserve, ReadCost);
}

/// <summary>Section <c>Nimmerverse:Cells:Sensor</c>: a distance sensor read from a file (Linux IIO style).</summary>
public sealed class SensorCellOptions
{
    /// <summary>The reading file, e.g. <c>/sys/bus/iio/devices/iio:device0/in_distance_raw</c>. Unset (the default): no sensor cell.</summary>
    public string? Path { get; init; }

    /// <summary>Default 200 ms.</summary>
    public TimeSpan PollInterval { get; init; } = SensorCellSettings.Defaults.PollInterval;

    /// <summary>Raw value times this is centimetres. Default 1.</summary>
    public double Scale { get; init; } = SensorCellSettings.Defaults.Scale;

    /// <summary>Danger distance (confidence 1). Default 30 cm.</summary>
    public double DangerCm { get; init; } = SensorCellSettings.Defaults.DangerCm;

    /// <summary>Clear distance (confidence 0). Default 50 cm.</summary>
    public double ClearCm { get; init; } = SensorCellSettings.Defaults.ClearCm;

    /// <summary>Lifeforce per poll. Default 0.1.</summary>
    public double PollCost { get; init; } = SensorCellSettings.Defaults.PollCost;

    /// <summary>Lifeforce per reading. Default 0.3.</summary>
    public double ReadCost { get; init; } = SensorCellSettings.Defaults.ReadCost;

    /// <summary>The cell's settings, or null when no reading file is configured.</summary>
    public SensorCellSettings? ToSettings() => Path is { } path ? new(path, PollInterval, Scale, DangerCm, ClearCm, PollCost, ReadCost) : null;
}

/// <summary>Section <c>Nimmerverse:Cells:Math</c>: the lifeforce the math cell spends per transition.</summary>
public sealed class MathCellOptions
{
    /// <summary>IDLE -> COMPUTING. Default 0.1 LF.</summary>
    public double ComputeCost { get; init; } = MathCellSettings.Default.ComputeCost;

    /// <summary>COMPUTING -> REPORTING. Default 0.05 LF.</summary>
    public double ReportCost { get; init; } = MathCellSettings.Default.ReportCost;

    public MathCellSettings ToSettings() => new(ComputeCost, ReportCost);
}

/// <summary>Section <c>Nimmerverse:Postgres</c> (phoebe).</summary>
public sealed class PostgresOptions
{
    /// <summary>Npgsql connection string. Default <c>Host=127.0.0.1;Port=5432;Database=nimmerverse;Username=nimmerverse</c>.</summary>
    public string ConnectionString { get; init; } = "Host=127.0.0.1;Port=5432;Database=nimmerverse;Username=nimmerverse";
}

/// <summary>Section <c>Nimmerverse:World</c>: the grid world (README, "The world").</summary>
public sealed class WorldOptions
{
    /// <summary>Node rows of the level-0 arena, 2-10. Default 5.</summary>
    public int Rows { get; init; } = GridWorldSettings.Default.Rows;

    /// <summary>Node columns of the level-0 arena, 2-10. Default 5.</summary>
    public int Columns { get; init; } = GridWorldSettings.Default.Columns;

    /// <summary>Citizens (NPC ids 0..Citizens-1), each with a home. Default 25.</summary>
    public int Citizens { get; init; } = GridWorldSettings.Default.Citizens;

    /// <summary>The last curriculum level, 0-3. Default 3.</summary>
    public int MaxLevel { get; init; } = GridWorldSettings.Default.MaxLevel;

    /// <summary>NPCs that fit on one node. Default 2.</summary>
    public int NodeCapacity { get; init; } = GridWorldSettings.Default.NodeCapacity;

    /// <summary>Training episodes between two quiz rounds of one NPC. Default 50.</summary>
    public int QuizEvery { get; init; } = GridWorldSettings.Default.QuizEvery;

    /// <summary>Share of training episodes that seek the NPC's own home. Default 0.5.</summary>
    public double OwnHomeShare { get; init; } = GridWorldSettings.Default.OwnHomeShare;

    /// <summary>Lifeforce earned for a goal reached. Default 1.</summary>
    public double GoalIncome { get; init; } = GridWorldSettings.Default.GoalIncome;

    /// <summary>Lifeforce a move costs. Default 0.02.</summary>
    public double MoveCost { get; init; } = GridWorldSettings.Default.MoveCost;

    /// <summary>Seed of the village (houses, homes, starts). Default 1.</summary>
    public int Seed { get; init; } = GridWorldSettings.Default.Seed;

    public GridWorldSettings ToSettings() => GridWorldSettings.Default with
    {
        Rows = Rows, Columns = Columns, Citizens = Citizens, MaxLevel = MaxLevel, NodeCapacity = NodeCapacity,
        QuizEvery = QuizEvery, OwnHomeShare = OwnHomeShare, GoalIncome = GoalIncome, MoveCost = MoveCost, Seed = Seed,
    };
}

/// <summary>Section <c>Nimmerverse:Npc</c>: this host's NPC brains.</summary>
public sealed class NpcOptions
{
    /// <summary>Brains this host runs, ids 0..Population-1; at most World:Citizens. Default 25; 0 runs none.</summary>
    public int Population { get; init; } = NpcHostSettings.DefaultPopulation;

    /// <summary>Each brain's tick rate at start, 1-20 Hz. Default 5.</summary>
    public double TickRateHz { get; init; } = TickRates.DefaultHz;

    /// <summary>small, medium or large. Default medium.</summary>
    public string Role { get; init; } = BrainCommandLine.DefaultRole;

    /// <summary>The brain executable. Default <c>brain/nimmerverse-brain</c> beside the supervisor.</summary>
    public string BrainPath { get; init; } = Path.Combine(AppContext.BaseDirectory, "brain", "nimmerverse-brain");

    /// <summary>Wait before an exited brain is first started again; it doubles with each restart in the window. Default 1 s.</summary>
    public TimeSpan RestartDelay { get; init; } = NpcHostSettings.DefaultRestartDelay;

    /// <summary>Time a brain has after SIGTERM to hand over its checkpoint. Default 10 s.</summary>
    public TimeSpan StopTimeout { get; init; } = NpcHostSettings.DefaultStopTimeout;

    /// <summary>Brains start one after another this far apart (each loads LibTorch for about 1.5 s of CPU). Default 0.5 s.</summary>
    public TimeSpan SpawnInterval { get; init; } = NpcHostSettings.DefaultSpawnInterval;

    /// <summary><c>auto</c> (the default: systemd when it is the init system and answers on the bus), <c>systemd</c> or <c>none</c> (no limits).</summary>
    public string Backend { get; init; } = "auto";

    /// <summary>D-Bus address of systemd's bus, e.g. <c>unix:path=/run/dbus/system_bus_socket</c>. Default: the system bus.</summary>
    public string? SystemBus { get; init; }

    /// <summary>Each brain's CPUQuota, in percent of one core (5-100). Default 25.</summary>
    public double CpuQuotaPercent { get; init; } = ScopeLimits.Default.CpuQuotaPercent;

    /// <summary>Each brain's MemoryMax, in MiB. Default 256.</summary>
    public int MemoryMaxMiB { get; init; } = (int)(ScopeLimits.Default.MemoryMaxBytes / (1024 * 1024));

    /// <summary>Each brain's TasksMax. Default 64.</summary>
    public int TasksMax { get; init; } = (int)ScopeLimits.Default.TasksMax;

    public ScopeLimits Limits => new(CpuQuotaPercent, MemoryMaxMiB * 1024L * 1024, TasksMax);

    /// <summary>
    /// A new brain's CPUQuota until its first state (5-100; never below CpuQuotaPercent). Loading
    /// LibTorch costs about a second of CPU, which at 25 % takes four. Default 100.
    /// </summary>
    public double StartupCpuQuotaPercent { get; init; } = NpcHostSettings.DefaultStartupCpuQuotaPercent;

    /// <summary>The longest wait between restarts (the delay doubles from RestartDelay). Default 30 s.</summary>
    public TimeSpan MaxRestartDelay { get; init; } = NpcHostSettings.DefaultMaxRestartDelay;

    /// <summary>Restarts allowed within RestartWindow before a brain is given up. Default 5.</summary>
    public int MaxRestarts { get; init; } = NpcHostSettings.DefaultMaxRestarts;

    /// <summary>The window of the restart intensity. Default 60 s.</summary>
    public TimeSpan RestartWindow { get; init; } = NpcHostSettings.DefaultRestartWindow;

    /// <summary>A running brain that has published no state for this long is killed and restarted. Default 10 s.</summary>
    public TimeSpan HeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Time a new brain has for its first state (LibTorch, its checkpoint). Default 90 s.</summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(90);

    public NpcHostSettings ToSettings(string natsUrl, string environment) =>
        new(BrainPath, Population, TickRateHz, Role, natsUrl, environment, RestartDelay, StopTimeout, SpawnInterval, MaxRestartDelay, MaxRestarts, RestartWindow, Limits, HeartbeatTimeout, StartupTimeout, StartupCpuQuotaPercent);
}

/// <summary>Section <c>Nimmerverse:Akka</c>: remoting and cluster membership.</summary>
public sealed class AkkaOptions
{
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
}

/// <summary>Section <c>Nimmerverse:Http</c>: health endpoint, status API and (later) the dashboard.</summary>
public sealed class HttpOptions
{
    /// <summary>Listen address. Default <c>http://127.0.0.1:8480</c>.</summary>
    public string Listen { get; init; } = "http://127.0.0.1:8480";
}

/// <summary>Section <c>Nimmerverse:Systemd</c>.</summary>
public sealed class SystemdOptions
{
    /// <summary>How often the STATUS= line is refreshed (it is sent only when it changed). Default 5 s.</summary>
    public TimeSpan StatusInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the node may take to become Up in the cluster before start-up fails. Default 60 s.</summary>
    public TimeSpan JoinTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>Section <c>Nimmerverse:Logging</c>.</summary>
public sealed class LoggingOptions
{
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
}

/// <summary>Section <c>Nimmerverse:Testing</c>: fault switches for the test suites. Never set in production.</summary>
public sealed class TestingOptions
{
    /// <summary>When set, the actor system wedges this long after start (the health probe blocks its thread), so tests can watch systemd's watchdog act.</summary>
    public TimeSpan? WedgeActorSystemAfter { get; init; }
}

/// <summary>Section <c>Nimmerverse:Governor</c>: the thalamus governor (README, "The governor").</summary>
public sealed class GovernorOptions
{
    /// <summary>How often it decides. Default 1 s.</summary>
    public TimeSpan Epoch { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary><c>learned</c> (its network, learning online) or <c>equal-share</c> (the fixed baseline). Default learned.</summary>
    public string Policy { get; init; } = GovernorSettings.Learned;

    /// <summary>The sum of CPU quotas one host may hand out, in percent of a core. Default: 75 % of the host's cores.</summary>
    public double HostCpuBudgetPercent { get; init; } = 75.0 * System.Environment.ProcessorCount;

    /// <summary>An NPC without a state for this long is absent. Default 5 s.</summary>
    public TimeSpan SilenceTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Most a tick rate moves per epoch, in Hz. Default 2.</summary>
    public double MaxTickRateStep { get; init; } = 2;

    /// <summary>Most a CPU quota moves per epoch, in percentage points. Default 10.</summary>
    public double MaxQuotaStep { get; init; } = 10;

    /// <summary>Epochs a gate holds after a change. Default 5.</summary>
    public int GateHoldEpochs { get; init; } = 5;

    /// <summary>Exploration noise of the learned policy (on 0..1 outputs). Default 0.1.</summary>
    public double Exploration { get; init; } = 0.1;

    /// <summary>The learned policy's step size. Default 0.001.</summary>
    public double LearningRate { get; init; } = 0.001;

    /// <summary>Seeds the network and its exploration. Default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Epochs between checkpoints of the learned weights. Default 60.</summary>
    public int CheckpointEvery { get; init; } = 60;

    public GovernorSettings ToSettings(int knownNpcIds, NpcOptions npc) => new(
        Epoch, Policy, HostCpuBudgetPercent, knownNpcIds, npc.TickRateHz, npc.MemoryMaxMiB * 1024L * 1024, npc.TasksMax, SilenceTimeout,
        MaxTickRateStep, MaxQuotaStep, GateHoldEpochs, Exploration, LearningRate, Seed, CheckpointEvery);
}

/// <summary>Section <c>Nimmerverse:Trails</c>: how decision trails reach PostgreSQL.</summary>
public sealed class TrailsOptions
{
    /// <summary>The spool file that keeps trails while PostgreSQL is away; relative to the working directory (the unit's is /var/lib/nimmerverse). Default <c>trails.spool</c>.</summary>
    public string SpoolPath { get; init; } = "trails.spool";

    /// <summary>The spool's bound; past it trails are lost, counted and alarmed about. Default 256.</summary>
    public int SpoolMaxMiB { get; init; } = 256;

    /// <summary>Most trails per COPY. Default 5000.</summary>
    public int BatchSize { get; init; } = 5000;

    /// <summary>How long a short batch waits for more. Default 200 ms.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How often a waiting spool is tried against PostgreSQL. Default 2 s.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(2);
}
