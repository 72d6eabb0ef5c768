using System.Data.Common;
using System.Text.RegularExpressions;
using Serilog.Events;
using Nimmerverse.Protocol;

namespace Nimmerverse.Supervisor.Configuration;

/// <summary>Checks every option in one place; each problem names its full key.</summary>
public static partial class OptionsValidator
{
    public static readonly IReadOnlyList<string> LoggingTargets = ["auto", "journald", "console"];

    private const string Root = NimmerverseOptions.SectionName;

    /// <summary>The gate stream must keep transitions through a PostgreSQL outage; an hour is the least that makes sense.</summary>
    private static readonly TimeSpan MinGateStreamMaxAge = TimeSpan.FromHours(1);

    public static IReadOnlyList<ConfigurationError> Validate(NimmerverseOptions options)
    {
        var errors = new List<ConfigurationError>();
        void Fail(string key, string problem) => errors.Add(new ConfigurationError($"{Root}:{key}", problem));

        if (!Environments.IsKnown(options.Environment))
        {
            Fail("Environment", $"'{options.Environment}' is not one of {Environments.Listed}");
        }

        if (!HostNamePattern().IsMatch(options.HostName))
        {
            Fail("HostName", $"'{options.HostName}' must be 1-63 lower-case letters, digits or '-', starting with a letter or digit (it is a NATS subject token)");
        }

        for (var i = 0; i < options.Roles.Length; i++)
        {
            if (!ClusterRoles.All.Contains(options.Roles[i]))
            {
                Fail($"Roles:{i}", $"'{options.Roles[i]}' is not a role; roles are {string.Join(", ", ClusterRoles.All)}");
            }
        }

        if (!Uri.TryCreate(options.Nats.Url, UriKind.Absolute, out var nats) || nats.Scheme is not ("nats" or "tls" or "ws" or "wss") || string.IsNullOrEmpty(nats.Host))
        {
            Fail("Nats:Url", $"'{options.Nats.Url}' is not a NATS URL such as nats://127.0.0.1:4222");
        }

        if (options.Nats.MaxPayloadBytes is < 256 or > 8 * 1024 * 1024)
        {
            Fail("Nats:MaxPayloadBytes", $"{options.Nats.MaxPayloadBytes} is outside 256..8388608");
        }

        if (options.Nats.SubscriptionBuffer is < 16 or > 10_000_000)
        {
            Fail("Nats:SubscriptionBuffer", $"{options.Nats.SubscriptionBuffer} is outside 16..10000000");
        }

        if (options.Nats.RejectionLogInterval <= TimeSpan.Zero)
        {
            Fail("Nats:RejectionLogInterval", $"{options.Nats.RejectionLogInterval} must be positive");
        }

        if (options.Nats.GateStreamMaxAge < MinGateStreamMaxAge)
        {
            Fail("Nats:GateStreamMaxAge", $"{options.Nats.GateStreamMaxAge} is shorter than {MinGateStreamMaxAge}: gate transitions wait in the stream while PostgreSQL is away");
        }

        var cells = options.Cells;
        foreach (var (key, interval) in new[] { ("Cells:Battery:PollInterval", cells.Battery.PollInterval), ("Cells:Sensor:PollInterval", cells.Sensor.PollInterval) })
        {
            if (interval < TimeSpan.FromMilliseconds(10))
            {
                Fail(key, $"{interval} is shorter than 10 ms");
            }
        }

        if (!double.IsFinite(cells.Battery.LowReserve) || cells.Battery.LowReserve <= 0)
        {
            Fail("Cells:Battery:LowReserve", $"{cells.Battery.LowReserve} must be a positive number of LF");
        }

        if (cells.Sensor.Path is { } sensorPath && !System.IO.Path.IsPathFullyQualified(sensorPath))
        {
            Fail("Cells:Sensor:Path", $"'{sensorPath}' is not an absolute path");
        }

        if (!double.IsFinite(cells.Sensor.Scale) || cells.Sensor.Scale <= 0)
        {
            Fail("Cells:Sensor:Scale", $"{cells.Sensor.Scale} must be positive");
        }

        if (!double.IsFinite(cells.Sensor.DangerCm) || !double.IsFinite(cells.Sensor.ClearCm) || cells.Sensor.DangerCm < 0 || cells.Sensor.ClearCm <= cells.Sensor.DangerCm)
        {
            Fail("Cells:Sensor:ClearCm", $"{cells.Sensor.ClearCm} must be greater than Cells:Sensor:DangerCm ({cells.Sensor.DangerCm}), both >= 0");
        }

        foreach (var (key, cost) in new[]
        {
            ("Cells:Math:ComputeCost", cells.Math.ComputeCost), ("Cells:Math:ReportCost", cells.Math.ReportCost), ("Cells:Battery:ReadCost", cells.Battery.ReadCost),
            ("Cells:Sensor:PollCost", cells.Sensor.PollCost), ("Cells:Sensor:ReadCost", cells.Sensor.ReadCost),
        })
        {
            if (!double.IsFinite(cost) || cost < 0)
            {
                Fail(key, $"{cost} is not a lifeforce cost (a finite number >= 0)");
            }
        }

        var collision = options.Nerves.CollisionAvoidance;
        if (!double.IsFinite(collision.DangerCm) || !double.IsFinite(collision.ClearCm) || collision.DangerCm < 0 || collision.ClearCm <= collision.DangerCm)
        {
            Fail("Nerves:CollisionAvoidance:ClearCm", $"{collision.ClearCm} must be greater than Nerves:CollisionAvoidance:DangerCm ({collision.DangerCm}), both >= 0");
        }

        if (collision.ReflexAfter is < 1 or > 1_000_000)
        {
            Fail("Nerves:CollisionAvoidance:ReflexAfter", $"{collision.ReflexAfter} is outside 1..1000000");
        }

        var exploration = options.Nerves.Exploration;
        if (exploration.StepInterval is { } step && step < TimeSpan.FromMilliseconds(10))
        {
            Fail("Nerves:Exploration:StepInterval", $"{step} is shorter than 10 ms");
        }

        if (!double.IsFinite(exploration.MoveCost) || exploration.MoveCost < 0)
        {
            Fail("Nerves:Exploration:MoveCost", $"{exploration.MoveCost} is not a lifeforce cost (a finite number >= 0)");
        }

        var thalamus = options.Thalamus;
        if (thalamus.CorrelationWindow <= TimeSpan.Zero)
        {
            Fail("Thalamus:CorrelationWindow", $"{thalamus.CorrelationWindow} must be positive");
        }

        if (thalamus.StepInterval < TimeSpan.FromMilliseconds(1))
        {
            Fail("Thalamus:StepInterval", $"{thalamus.StepInterval} is shorter than 1 ms");
        }

        if (!double.IsFinite(thalamus.Decay) || thalamus.Decay is <= 0 or >= 1)
        {
            Fail("Thalamus:Decay", $"{thalamus.Decay} is not between 0 and 1 (exclusive)");
        }

        if (!double.IsFinite(thalamus.OpenThreshold) || thalamus.OpenThreshold is <= 0 or >= 1)
        {
            Fail("Thalamus:OpenThreshold", $"{thalamus.OpenThreshold} is not between 0 and 1 (exclusive)");
        }

        if (!double.IsFinite(thalamus.CloseThreshold) || thalamus.CloseThreshold is <= -1 or >= 0)
        {
            Fail("Thalamus:CloseThreshold", $"{thalamus.CloseThreshold} is not between -1 and 0 (exclusive)");
        }

        if (!double.IsFinite(thalamus.WaveWeight) || thalamus.WaveWeight is <= 0 or > 1)
        {
            Fail("Thalamus:WaveWeight", $"{thalamus.WaveWeight} is not in (0, 1]");
        }

        if (thalamus.MaxGates is < 1 or > 100_000)
        {
            Fail("Thalamus:MaxGates", $"{thalamus.MaxGates} is outside 1..100000");
        }

        ValidatePostgres(options.Postgres.ConnectionString, Fail);
        ValidateWorld(options.World, Fail);
        ValidateNpc(options.Npc, options.World, Fail);
        ValidateGovernor(options.Governor, options.Trails, Fail);

        if (string.IsNullOrWhiteSpace(options.Akka.Hostname))
        {
            Fail("Akka:Hostname", "must not be empty");
        }

        if (options.Akka.PublicHostname is { } publicHost && string.IsNullOrWhiteSpace(publicHost))
        {
            Fail("Akka:PublicHostname", "must not be empty when set");
        }

        if (options.Akka.Port is < 0 or > 65535)
        {
            Fail("Akka:Port", $"{options.Akka.Port} is not a TCP port (0-65535; 0 picks a free one)");
        }

        for (var i = 0; i < options.Akka.SeedNodes.Length; i++)
        {
            var seed = options.Akka.SeedNodes[i];
            if (!Uri.TryCreate(seed, UriKind.Absolute, out var uri) || uri.Scheme != "akka.tcp" || uri.UserInfo != AkkaSystemName || uri.Port <= 0)
            {
                Fail($"Akka:SeedNodes:{i}", $"'{seed}' is not a seed address such as akka.tcp://{AkkaSystemName}@host:4053");
            }
        }

        if (!Uri.TryCreate(options.Http.Listen, UriKind.Absolute, out var http) || http.Scheme != "http" || http.AbsolutePath != "/")
        {
            Fail("Http:Listen", $"'{options.Http.Listen}' is not a listen address such as http://127.0.0.1:8480");
        }

        if (options.Systemd.StatusInterval < TimeSpan.FromMilliseconds(100))
        {
            Fail("Systemd:StatusInterval", $"{options.Systemd.StatusInterval} is shorter than the 00:00:00.1 minimum");
        }

        if (options.Systemd.JoinTimeout <= TimeSpan.Zero)
        {
            Fail("Systemd:JoinTimeout", $"{options.Systemd.JoinTimeout} must be positive");
        }

        if (!LoggingTargets.Contains(options.Logging.Target))
        {
            Fail("Logging:Target", $"'{options.Logging.Target}' is not one of {string.Join(", ", LoggingTargets)}");
        }

        if (!Enum.TryParse<LogEventLevel>(options.Logging.MinimumLevel, ignoreCase: true, out _) || int.TryParse(options.Logging.MinimumLevel, out _))
        {
            Fail("Logging:MinimumLevel", $"'{options.Logging.MinimumLevel}' is not one of {string.Join(", ", Enum.GetNames<LogEventLevel>())}");
        }

        if (options.Testing.WedgeActorSystemAfter is { } wedge && wedge <= TimeSpan.Zero)
        {
            Fail("Testing:WedgeActorSystemAfter", $"{wedge} must be positive when set");
        }

        return errors;
    }

    /// <summary>The ActorSystem's name; every member of the cluster must use the same.</summary>
    public const string AkkaSystemName = "nimmerverse";

    private static void ValidateWorld(WorldOptions world, Action<string, string> fail)
    {
        foreach (var (key, side) in new[] { ("World:Rows", world.Rows), ("World:Columns", world.Columns) })
        {
            if (side is < 2 or > 10)
            {
                fail(key, $"{side} is outside 2..10 (each level adds two, up to {TraitCatalogue.MaxSide})");
            }
        }

        if (world.MaxLevel is < 0 or > 3)
        {
            fail("World:MaxLevel", $"{world.MaxLevel} is outside 0..3");
        }

        var curriculum = world.ToSettings().Curriculum;
        if (world.Citizens < 1 || world.Citizens > Math.Min(world.Rows * world.Columns, curriculum.DistinctHousesAt(0)))
        {
            fail("World:Citizens", $"{world.Citizens} is outside 1..{Math.Min(world.Rows * world.Columns, curriculum.DistinctHousesAt(0))} (one home per node, each told apart by its traits)");
        }

        if (world.NodeCapacity < 1)
        {
            fail("World:NodeCapacity", $"{world.NodeCapacity} must be at least 1");
        }

        if (world.QuizEvery < 1)
        {
            fail("World:QuizEvery", $"{world.QuizEvery} must be at least 1");
        }

        if (!double.IsFinite(world.OwnHomeShare) || world.OwnHomeShare is < 0 or > 1)
        {
            fail("World:OwnHomeShare", $"{world.OwnHomeShare} is not a share between 0 and 1");
        }

        foreach (var (key, cost) in new[] { ("World:GoalIncome", world.GoalIncome), ("World:MoveCost", world.MoveCost) })
        {
            if (!double.IsFinite(cost) || cost < 0)
            {
                fail(key, $"{cost} is not a lifeforce amount (a finite number >= 0)");
            }
        }
    }

    private static void ValidateNpc(NpcOptions npc, WorldOptions world, Action<string, string> fail)
    {
        if (npc.Population < 0 || npc.Population > world.Citizens)
        {
            fail("Npc:Population", $"{npc.Population} is outside 0..{world.Citizens} (World:Citizens: every NPC is a citizen)");
        }

        if (!TickRates.IsValid(npc.TickRateHz))
        {
            fail("Npc:TickRateHz", $"{npc.TickRateHz} is outside {TickRates.MinHz}..{TickRates.MaxHz} Hz");
        }

        if (!BrainCommandLine.Roles.Contains(npc.Role))
        {
            fail("Npc:Role", $"'{npc.Role}' is not one of {string.Join(", ", BrainCommandLine.Roles)}");
        }

        if (!Path.IsPathFullyQualified(npc.BrainPath))
        {
            fail("Npc:BrainPath", $"'{npc.BrainPath}' is not an absolute path");
        }

        if (npc.RestartDelay < TimeSpan.Zero)
        {
            fail("Npc:RestartDelay", $"{npc.RestartDelay} must not be negative");
        }

        if (npc.StopTimeout <= TimeSpan.Zero)
        {
            fail("Npc:StopTimeout", $"{npc.StopTimeout} must be positive");
        }

        if (!NpcScopes.NpcBackend.Choices.Contains(npc.Backend))
        {
            fail("Npc:Backend", $"'{npc.Backend}' is not one of {string.Join(", ", NpcScopes.NpcBackend.Choices)}");
        }

        if (npc.SystemBus is { } bus && !bus.StartsWith("unix:", StringComparison.Ordinal) && !bus.StartsWith("tcp:", StringComparison.Ordinal))
        {
            fail("Npc:SystemBus", $"'{bus}' is not a D-Bus address such as unix:path=/run/dbus/system_bus_socket");
        }

        if (!CpuQuotas.IsValid(npc.CpuQuotaPercent))
        {
            fail("Npc:CpuQuotaPercent", $"{npc.CpuQuotaPercent} is outside {CpuQuotas.MinPercent}..{CpuQuotas.MaxPercent} (percent of one core)");
        }

        if (!CpuQuotas.IsValid(npc.StartupCpuQuotaPercent))
        {
            fail("Npc:StartupCpuQuotaPercent", $"{npc.StartupCpuQuotaPercent} is outside {CpuQuotas.MinPercent}..{CpuQuotas.MaxPercent} (percent of one core)");
        }

        if (npc.MemoryMaxMiB is < 32 or > 65536)
        {
            fail("Npc:MemoryMaxMiB", $"{npc.MemoryMaxMiB} is outside 32..65536 MiB");
        }

        if (npc.TasksMax is < 8 or > 4096)
        {
            fail("Npc:TasksMax", $"{npc.TasksMax} is outside 8..4096");
        }

        if (npc.MaxRestartDelay < npc.RestartDelay)
        {
            fail("Npc:MaxRestartDelay", $"{npc.MaxRestartDelay} is shorter than Npc:RestartDelay ({npc.RestartDelay})");
        }

        if (npc.MaxRestarts < 0)
        {
            fail("Npc:MaxRestarts", $"{npc.MaxRestarts} must not be negative");
        }

        if (npc.RestartWindow <= TimeSpan.Zero)
        {
            fail("Npc:RestartWindow", $"{npc.RestartWindow} must be positive");
        }

        if (npc.HeartbeatTimeout < TimeSpan.FromSeconds(1))
        {
            fail("Npc:HeartbeatTimeout", $"{npc.HeartbeatTimeout} is shorter than a second (a brain ticks at 1 Hz at the slowest)");
        }

        if (npc.StartupTimeout < TimeSpan.FromSeconds(5))
        {
            fail("Npc:StartupTimeout", $"{npc.StartupTimeout} is shorter than 5 s (a brain needs about one to load LibTorch, more on a busy host)");
        }

        if (npc.SpawnInterval < TimeSpan.Zero)
        {
            fail("Npc:SpawnInterval", $"{npc.SpawnInterval} must not be negative");
        }
    }

    /// <summary>
    /// What must exist on this machine for the daemon to run (checked by <c>run</c> and
    /// <c>check-config</c>, not by <see cref="Validate"/>, which judges values alone): the brain
    /// executable, when this host runs a population.
    /// </summary>
    public static IReadOnlyList<ConfigurationError> ValidateInstallation(NimmerverseOptions options)
    {
        var npc = options.Npc;
        return options.EffectiveRoles.Contains(ClusterRoles.NpcHost) && npc.Population > 0 && !File.Exists(npc.BrainPath)
            ? [new ConfigurationError($"{Root}:Npc:BrainPath", $"'{npc.BrainPath}' does not exist (./nimmerverse install puts the brain in brain/ beside the supervisor; Npc:Population 0 runs no brains)")]
            : [];
    }

    private static void ValidateGovernor(GovernorOptions governor, TrailsOptions trails, Action<string, string> fail)
    {
        if (governor.Epoch < TimeSpan.FromMilliseconds(100) || governor.Epoch > TimeSpan.FromMinutes(10))
        {
            fail("Governor:Epoch", $"{governor.Epoch} is outside 00:00:00.1..00:10:00");
        }

        if (!Actors.Governor.GovernorSettings.Policies.Contains(governor.Policy))
        {
            fail("Governor:Policy", $"'{governor.Policy}' is not one of {string.Join(", ", Actors.Governor.GovernorSettings.Policies)}");
        }

        if (!double.IsFinite(governor.HostCpuBudgetPercent) || governor.HostCpuBudgetPercent < 5)
        {
            fail("Governor:HostCpuBudgetPercent", $"{governor.HostCpuBudgetPercent} is below 5 (one NPC's minimum quota)");
        }

        if (governor.SilenceTimeout <= TimeSpan.Zero)
        {
            fail("Governor:SilenceTimeout", $"{governor.SilenceTimeout} must be positive");
        }

        if (!double.IsFinite(governor.MaxTickRateStep) || governor.MaxTickRateStep <= 0)
        {
            fail("Governor:MaxTickRateStep", $"{governor.MaxTickRateStep} must be positive");
        }

        if (!double.IsFinite(governor.MaxQuotaStep) || governor.MaxQuotaStep <= 0)
        {
            fail("Governor:MaxQuotaStep", $"{governor.MaxQuotaStep} must be positive");
        }

        if (governor.GateHoldEpochs < 0)
        {
            fail("Governor:GateHoldEpochs", $"{governor.GateHoldEpochs} must not be negative");
        }

        if (!double.IsFinite(governor.Exploration) || governor.Exploration is < 0 or > 1)
        {
            fail("Governor:Exploration", $"{governor.Exploration} is outside 0..1");
        }

        if (!double.IsFinite(governor.LearningRate) || governor.LearningRate is <= 0 or > 1)
        {
            fail("Governor:LearningRate", $"{governor.LearningRate} is outside (0, 1]");
        }

        if (governor.CheckpointEvery < 1)
        {
            fail("Governor:CheckpointEvery", $"{governor.CheckpointEvery} must be at least 1");
        }

        if (string.IsNullOrWhiteSpace(trails.SpoolPath))
        {
            fail("Trails:SpoolPath", "must not be empty");
        }

        if (trails.SpoolMaxMiB is < 1 or > 1_048_576)
        {
            fail("Trails:SpoolMaxMiB", $"{trails.SpoolMaxMiB} is outside 1..1048576");
        }

        if (trails.BatchSize is < 1 or > 100_000)
        {
            fail("Trails:BatchSize", $"{trails.BatchSize} is outside 1..100000");
        }

        if (trails.FlushInterval <= TimeSpan.Zero || trails.RetryInterval <= TimeSpan.Zero)
        {
            fail(trails.FlushInterval <= TimeSpan.Zero ? "Trails:FlushInterval" : "Trails:RetryInterval", "must be positive");
        }
    }

    private static void ValidatePostgres(string connectionString, Action<string, string> fail)
    {
        const string key = "Postgres:ConnectionString";
        var builder = new DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = connectionString;
        }
        catch (ArgumentException e)
        {
            fail(key, $"cannot be parsed: {e.Message}");
            return;
        }

        foreach (var required in new[] { "Host", "Database" })
        {
            if (!builder.TryGetValue(required, out var value) || string.IsNullOrWhiteSpace(value?.ToString()))
            {
                fail(key, $"has no {required}=");
            }
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex HostNamePattern();
}
