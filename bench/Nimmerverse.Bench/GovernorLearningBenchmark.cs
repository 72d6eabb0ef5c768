using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using NATS.Client.Core;
using Nimmerverse.Actors.Governor;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Cli;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Supervisor.Hosting;
using Nimmerverse.Supervisor.Persistence;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Nats;
using Nimmerverse.Testing.Nyx;
using Nimmerverse.Testing.Postgres;
using Npgsql;
using Serilog;

namespace Nimmerverse.Bench;

/// <summary>
/// The governor against its baselines, the same village under each policy and seed in turn: a whole
/// supervisor in this process with real brains, a real NATS and a private PostgreSQL (a fresh
/// database per run, so no brain and no governor starts from another run's weights). After a
/// warm-up, over a fixed window, the village's learning progress per CPU-second
/// (<see cref="GovernorObjective"/>) is measured from the brains' own states, not from what the
/// governor computes. With a matured village, each seed's village first learns for a while under the
/// learned governor (untrained, started at 20 Hz), and every policy of that seed starts from a copy of
/// its database (its brains' checkpoints, its world, its trails, the governor's checkpoint, so
/// <c>learned</c> goes on from what it learnt). Policies: <c>learned</c>, <c>learned-warm</c> (the
/// learned governor warm-started from the trails of the matured village or, without one, of the same
/// seed's <c>progress-share</c> run, which must come before it: <c>trails export</c>, then
/// <c>trails warm-start</c>), <c>learned-trained</c> (the learned governor's checkpoint alone, from a
/// village of seed <see cref="TrainingSeed"/> that learnt under it for the <c>trained</c> knob's time, started at the daemon's
/// default rate: trained on one village, tested on others), <c>class-bandit</c> (the bandit per class of NPC, learning
/// online; it goes on from a matured village's bandit when the village matured under it), <c>class-bandit-warm</c> (the
/// bandit warm-started as <c>learned-warm</c> is), <c>class-bandit-trained</c> (the bandit trained as <c>learned-trained</c>
/// is, in a training village of its own), <c>progress-share</c>, <c>quiz-first</c>, <c>open-gates</c>
/// and <c>fixed:HZ</c> (equal-share at that rate: the grid searched in hindsight); a baseline given as <c>POLICY:HZ</c> steers around that
/// rate (else 5 Hz, the daemon's default). Printed: every run, then per policy the mean over
/// seeds, and every other policy's ratio to the best baseline and its difference from it, each with a
/// 95 % confidence interval (Student's t over the seeds, paired by seed).
/// </summary>
internal static class GovernorLearningBenchmark
{
    private const string LearnedWarm = "learned-warm";

    /// <summary>The bandit per class, warm-started as <c>learned-warm</c> is.</summary>
    private const string BanditWarm = "class-bandit-warm";

    /// <summary>The learned governor carried, by its checkpoint alone, from a training village of another seed into a fresh village.</summary>
    private const string LearnedTrained = "learned-trained";

    /// <summary>The bandit per class, trained as <c>learned-trained</c> is.</summary>
    private const string BanditTrained = "class-bandit-trained";

    /// <summary>The seed of the training village: none of the seeds measured.</summary>
    private const int TrainingSeed = 101;

    /// <summary>Where the untrained governor of a maturing village starts its NPCs.</summary>
    private const double MaturingRateHz = 20;

    /// <summary>The stretches a maturing village's trails are summed over for the log: two and a half minutes at the default epoch.</summary>
    private const int MaturingStretchEpochs = 150;

    /// <summary>The window's stretches in <see cref="PrintWindowByTimeAsync"/>: a bandit's hold at the default epoch.</summary>
    private const int WindowBinSeconds = 30;

    /// <param name="Population">Brains in the village.</param>
    /// <param name="Roles">Their roles (<c>Npc:Role</c>: one, or a mix handed out in turn).</param>
    /// <param name="WarmUp">Time before the window.</param>
    /// <param name="Window">Time measured.</param>
    /// <param name="Seeds">How many seeds of the world and the governor, from <paramref name="FirstSeed"/> on, each run under every policy.</param>
    /// <param name="Policies">The policies, in the order they run for each seed.</param>
    /// <param name="FiniteCortex">A real cortex (nimmerverse-nyx with its tiny model) serving one call at a time, which NPCs ask after 3 failed errands in a row; else none, and no NPC asks.</param>
    /// <param name="Lifetime">Newcomers: <c>Npc:Lifetime</c> (zero: NPCs never leave).</param>
    /// <param name="HostBudgetPercent">A tight CPU budget: <c>Governor:HostCpuBudgetPercent</c> (null: the default).</param>
    /// <param name="Bursts">Bursts of waves this far apart (zero: none): each opens five new gates at once, whose assessments the boundary asks of the same cortex.</param>
    /// <param name="Matured">How long each seed's village learns under the learned governor (newcomers and bursts off) before its policies start from copies of it (zero: every run starts a fresh village).</param>
    /// <param name="Trained">How long the training village of <c>learned-trained</c> (and of <c>class-bandit-trained</c>) learns (the same scenario, seed <see cref="TrainingSeed"/>; matured first when the scenario is).</param>
    /// <param name="MaxLevel">A capped curriculum: <c>World:MaxLevel</c> (null: the default), so that brains which have learnt its last level stop gaining.</param>
    /// <param name="LearningRate">The learned governor's step size: <c>Governor:LearningRate</c> (null: the default), in every village it runs.</param>
    /// <param name="Discount">The learned governor's γ: <c>Governor:Discount</c> (null: the default), in every village it runs.</param>
    /// <param name="TrainingLifetime">Newcomers in the training villages alone (null: as measured, <paramref name="Lifetime"/>): brains of every age side by side, where a homogeneous village shows the governor one age at a time.</param>
    /// <param name="MaturedUnder">The policy a matured village learns under (a policy as measured: <c>learned</c> or <c>class-bandit</c>, trained in it and handed on to the same policy, or a baseline such as <c>fixed:20</c>, which hands on nothing).</param>
    /// <param name="FirstSeed">The first seed (a run of more seeds can be continued where it stopped).</param>
    /// <param name="LifeforceWeight">What a point of lifeforce is worth in the objective: <c>Governor:LifeforceWeight</c> (null: the default), in every village and in the score.</param>
    /// <param name="CortexTokenMilliseconds">The finite cortex's least time per generated token: <c>Nyx:MinTokenMilliseconds</c> (null: as fast as the tiny model runs), so that one call at a time is scarce.</param>
    public sealed record Scenario(int Population, string Roles, TimeSpan WarmUp, TimeSpan Window, int Seeds, IReadOnlyList<string> Policies, bool FiniteCortex = false, TimeSpan Lifetime = default, double? HostBudgetPercent = null, TimeSpan Bursts = default, TimeSpan Matured = default, TimeSpan Trained = default, int? MaxLevel = null, double? LearningRate = null, double? Discount = null, TimeSpan? TrainingLifetime = null, string MaturedUnder = GovernorSettings.Learned, int FirstSeed = 1, double? LifeforceWeight = null, double? CortexTokenMilliseconds = null)
    {
        /// <summary>The objective's weight of lifeforce as the villages run and are scored.</summary>
        public double Weight => LifeforceWeight ?? GovernorObjective.DefaultLifeforceWeight;

        /// <summary>The knobs as the command line gives them, each with how it is written: <c>name=VALUE</c>, or a name alone.</summary>
        private static readonly (string Name, string Usage, Func<Scenario, string, Scenario> Set)[] Knobs =
        [
            ("none", "none", (s, _) => s),
            ("finite-cortex", "finite-cortex", (s, _) => s with { FiniteCortex = true }),
            ("cortex-pace", "cortex-pace=MS", (s, v) => s with { FiniteCortex = true, CortexTokenMilliseconds = Number(v) }),
            ("lifetime", "lifetime=SECONDS", (s, v) => s with { Lifetime = Seconds(v) }),
            ("budget", "budget=PERCENT", (s, v) => s with { HostBudgetPercent = Number(v) }),
            ("bursts", "bursts=SECONDS", (s, v) => s with { Bursts = Seconds(v) }),
            ("matured", "matured=SECONDS", (s, v) => s with { Matured = Seconds(v) }),
            ("matured-under", "matured-under=POLICY", (s, v) => s with { MaturedUnder = v }),
            ("trained", "trained=SECONDS", (s, v) => s with { Trained = Seconds(v) }),
            ("max-level", "max-level=N", (s, v) => s with { MaxLevel = int.Parse(v, CultureInfo.InvariantCulture) }),
            ("learning-rate", "learning-rate=R", (s, v) => s with { LearningRate = Number(v) }),
            ("discount", "discount=G", (s, v) => s with { Discount = Number(v) }),
            ("train-lifetime", "train-lifetime=SECONDS", (s, v) => s with { TrainingLifetime = Seconds(v) }),
            ("first-seed", "first-seed=N", (s, v) => s with { FirstSeed = int.Parse(v, CultureInfo.InvariantCulture) }),
            ("lifeforce-weight", "lifeforce-weight=W", (s, v) => s with { LifeforceWeight = Number(v) }),
        ];

        /// <summary>This scenario with <paramref name="knobs"/> (<see cref="Knobs"/>, comma-separated) turned.</summary>
        public Scenario With(string knobs)
        {
            var scenario = this;
            foreach (var knob in knobs.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var (name, value) = knob.Split('=') is [var n, var v] ? (n, v) : (knob, "");
                var known = Knobs.FirstOrDefault(k => k.Name == name);
                scenario = known.Set is { } set
                    ? set(scenario, value)
                    : throw new ArgumentException($"unknown scenario knob '{knob}' ({string.Join(", ", Knobs.Skip(1).Select(k => k.Usage))})");
            }

            return scenario;
        }

        private static double Number(string value) => double.Parse(value, CultureInfo.InvariantCulture);

        private static TimeSpan Seconds(string value) => TimeSpan.FromSeconds(Number(value));
    }

    /// <summary>One run's outcome: progress per CPU-second over the window, what the brains ran at by role, and what each kind made of its CPU.</summary>
    private sealed record Run(string Policy, int Seed, double Progress, double CpuSeconds, IReadOnlyDictionary<string, double> RateByRole, double MeanSuccess, int Levels, KindAccounts ByKind, KindAccounts ByQuiz)
    {
        public double Ratio => CpuSeconds > 0 ? Progress / CpuSeconds : 0;
    }

    /// <summary>Runs the scenario and prints its table; stopped by SIGTERM or SIGINT, prints the runs it finished and returns <see cref="StopSignals.ExitCode"/>.</summary>
    public static async Task<int> RunAsync(Scenario scenario)
    {
        using var signals = StopSignals.Listen();
        await using var nats = await NatsServer.StartAsync();
        await using var postgres = await PrivatePostgres.StartAsync();
        await using var nyx = scenario.FiniteCortex ? await NyxServer.StartAsync([("NIMMERVERSE_NYX__SCHEDULING", "priority"), .. Optional("NIMMERVERSE_NYX__MINTOKENMILLISECONDS", scenario.CortexTokenMilliseconds)]) : null;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Village learning progress per CPU-second: {scenario.Population} brains ({scenario.Roles}), {(nyx is null ? "no cortex" : $"a finite cortex (one call at a time{(scenario.CortexTokenMilliseconds is { } pace ? $", at least {pace} ms a token" : "")}; NPCs ask after 3 failed errands)")}, {(scenario.Bursts > TimeSpan.Zero ? $"five gates opened every {scenario.Bursts.TotalSeconds:F0} s" : "no bursts")}, {(scenario.Lifetime > TimeSpan.Zero ? $"newcomers (lifetime {scenario.Lifetime.TotalSeconds:F0} s)" : "no newcomers")}, {(scenario.Matured > TimeSpan.Zero ? $"a village matured for {scenario.Matured.TotalSeconds:F0} s under {scenario.MaturedUnder}" : "a fresh village")}{(scenario.Trained > TimeSpan.Zero && scenario.Policies.Any(IsTrained) ? $", {string.Join(" and ", scenario.Policies.Where(IsTrained))} trained for {scenario.Trained.TotalSeconds:F0} s on seed {TrainingSeed}{(scenario.TrainingLifetime is { } trainingLifetime ? $" with newcomers (lifetime {trainingLifetime.TotalSeconds:F0} s)" : "")}" : "")}{(scenario.MaxLevel is { } cap ? $", the curriculum capped at level {cap}" : "")}{(scenario.LearningRate is { } rate ? $", the learned governor's step size {rate}" : "")}{(scenario.Discount is { } discount ? $", its discount {discount}" : "")}{(scenario.LifeforceWeight is { } weight ? $", a point of lifeforce worth {weight} of a level" : "")}, host budget {(scenario.HostBudgetPercent is { } budget ? $"{budget:F0} %" : "default")}, warm-up {scenario.WarmUp.TotalSeconds:F0} s, window {scenario.Window.TotalSeconds:F0} s, seeds {scenario.FirstSeed}..{scenario.FirstSeed + scenario.Seeds - 1}; no systemd here: quotas are decided, not enforced"));
        Console.WriteLine("policy         | seed | progress | CPU s | progress per CPU-s | mean success | levels | tick rate by role (Hz)");
        var runs = new List<Run>();
        var databases = new Dictionary<(string Policy, int Seed), string>();
        try
        {
            var trained = new Dictionary<string, (long Epoch, byte[] Weights)>();
            if (scenario.Policies.Any(IsTrained))
            {
                if (scenario.Trained <= TimeSpan.Zero)
                {
                    throw new ArgumentException($"{LearnedTrained} and {BanditTrained} need the knob trained=SECONDS");
                }

                // One matured training village, copied for each governor trained in it: maturing takes the scenario's whole maturing time.
                var maturedTraining = scenario.Matured > TimeSpan.Zero ? await MatureAsync(nats, postgres, nyx, scenario, TrainingSeed) : null;
                foreach (var policy in scenario.Policies.Where(IsTrained))
                {
                    trained[policy] = await TrainAsync(nats, postgres, nyx, scenario, GovernorPolicyOf(policy), maturedTraining);
                }
            }

            for (var seed = scenario.FirstSeed; seed < scenario.FirstSeed + scenario.Seeds; seed++)
            {
                var matured = scenario.Matured > TimeSpan.Zero ? await MatureAsync(nats, postgres, nyx, scenario, seed) : null;
                foreach (var policy in scenario.Policies)
                {
                    var run = await MeasureAsync(nats, postgres, nyx, scenario, policy, seed, databases, matured, trained);
                    runs.Add(run);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{policy,-14} | {seed,4} | {run.Progress,8:F3} | {run.CpuSeconds,5:F1} | {run.Ratio,18:F4} | {run.MeanSuccess,12:P0} | {run.Levels,6} | {string.Join(", ", run.RateByRole.Select(r => $"{r.Key} {r.Value:F1}"))}"));
                    Console.WriteLine($"  by kind, progress (skill + lifeforce) per CPU-s: {run.ByKind}");
                    Console.WriteLine($"  by quiz round: {run.ByQuiz}");
                }
            }
        }
        catch (OperationCanceledException) when (StopSignals.Token.IsCancellationRequested)
        {
            Console.WriteLine($"stopped by a signal after {runs.Count} run(s); the supervisor, PostgreSQL and nats-server are stopped on the way out");
            if (runs.Count > 0)
            {
                Summarise(runs, scenario.Policies);
            }

            return StopSignals.ExitCode;
        }

        Summarise(runs, scenario.Policies);
        return 0;
    }

    private static void Summarise(List<Run> runs, IReadOnlyList<string> asked)
    {
        // A run stopped part-way has some policies on fewer seeds, or on none: each is paired only where both ran.
        var policies = asked.Where(p => runs.Any(r => r.Policy == p)).ToList();
        Console.WriteLine("policy         | mean progress per CPU-s over seeds | 95 % CI");
        foreach (var policy in policies)
        {
            var (mean, half) = MeanInterval([.. runs.Where(r => r.Policy == policy).Select(r => r.Ratio)]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{policy,-14} | {mean,34:F4} | ±{half:F4}"));
        }

        var baselines = policies.Where(p => !Learns(p)).ToList();
        if (baselines.Count == 0)
        {
            return;
        }

        // The best baseline in hindsight: the one with the highest mean over the seeds. Every other policy is paired with it,
        // the learned ones for the target, the other baselines to say how far each is from it.
        var best = baselines.MaxBy(p => runs.Where(r => r.Policy == p).Average(r => r.Ratio))!;
        var bestBySeed = runs.Where(r => r.Policy == best).ToDictionary(r => r.Seed, r => r.Ratio);
        foreach (var policy in policies.Where(p => p != best))
        {
            var beside = runs.Where(r => r.Policy == policy && bestBySeed.ContainsKey(r.Seed)).ToList();
            if (beside.Count == 0)
            {
                continue;
            }

            var paired = beside.Select(l => l.Ratio / bestBySeed[l.Seed]).ToList();
            var (ratio, interval) = MeanInterval(paired);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{policy} / best baseline ({best}): {ratio:F2} ± {interval:F2} (95 % CI over {paired.Count} seeds; per seed {string.Join(", ", paired.Select(p => p.ToString("F2", CultureInfo.InvariantCulture)))})"));
            // A ratio means little where the baseline's own score is near zero or below, as a churning village's can be.
            var (difference, spread) = MeanInterval([.. beside.Select(l => l.Ratio - bestBySeed[l.Seed])]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{policy} - best baseline ({best}): {difference:+0.0000;-0.0000;0.0000} ± {spread:F4} progress per CPU-s (95 % CI, paired by seed)"));
        }
    }

    /// <summary>The mean and the half-width of its 95 % confidence interval (Student's t; 0 for one value).</summary>
    private static (double Mean, double Half) MeanInterval(IReadOnlyList<double> values)
    {
        var mean = values.Average();
        if (values.Count < 2)
        {
            return (mean, 0);
        }

        double[] t975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262];
        var sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        return (mean, t975[Math.Min(values.Count - 2, t975.Length - 1)] * sd / Math.Sqrt(values.Count));
    }

    /// <summary>A setting the scenario leaves at the daemon's default when null.</summary>
    private static (string Name, string Value)[] Optional(string name, IFormattable? value) =>
        value is null ? [] : [(name, value.ToString(null, CultureInfo.InvariantCulture))];

    private static string ConnectionTo(PrivatePostgres postgres, string database) =>
        postgres.ConnectionString.Replace("Database=postgres", $"Database={database}", StringComparison.Ordinal);

    /// <summary>The learned governor of <paramref name="database"/> warm-started from the trails in <paramref name="source"/>, by the CLI's own commands.</summary>
    private static async Task WarmStartAsync(PrivatePostgres postgres, string source, string database, int seed, string policy)
    {
        var file = Path.Combine(Path.GetTempPath(), $"{database}.governor.jsonl");
        await using (var target = NpgsqlDataSource.Create(ConnectionTo(postgres, database)))
        {
            await SchemaMigrations.ApplyAsync(target, CancellationToken.None);
        }

        if (await new TrailsCommand(TextWriter.Null, Console.Error).RunAsync(["export", "--what", "governor", "--out", file], ConnectionTo(postgres, source), TimeProvider.System, CancellationToken.None) != 0)
        {
            throw new InvalidOperationException("the export of the trails failed (above)");
        }

        if (await new TrailsCommand(Console.Out, Console.Error).RunAsync(["warm-start", "--from", file], ConnectionTo(postgres, database), TimeProvider.System, CancellationToken.None, GovernorSettings.Default with { Seed = seed, Policy = GovernorPolicyOf(policy) }) != 0)
        {
            Console.WriteLine($"  (the warm start found nothing to learn from: this {policy} run starts untrained)");
        }

        File.Delete(file);
    }

    private static async Task<Run> MeasureAsync(NatsServer nats, PrivatePostgres postgres, NyxServer? nyx, Scenario scenario, string policy, int seed, Dictionary<(string Policy, int Seed), string> databases, string? matured, IReadOnlyDictionary<string, (long Epoch, byte[] Weights)> trained)
    {
        var database = databases[(policy, seed)] = await CreateDatabaseAsync(postgres, matured);
        if (policy is LearnedWarm or BanditWarm)
        {
            var source = matured ?? (databases.TryGetValue((GovernorSettings.ProgressShare, seed), out var run) ? run : throw new ArgumentException($"{policy} needs a matured village or a {GovernorSettings.ProgressShare} run of the same seed before it"));
            await WarmStartAsync(postgres, source, database, seed, policy);
        }

        if (IsTrained(policy))
        {
            await using var target = NpgsqlDataSource.Create(ConnectionTo(postgres, database));
            await SchemaMigrations.ApplyAsync(target, CancellationToken.None);
            var (epoch, weights) = trained.TryGetValue(policy, out var checkpoint) ? checkpoint : throw new InvalidOperationException($"no training village ran for {policy}");
            await new PostgresGovernorCheckpoints(target).SaveAsync(Guid.NewGuid(), epoch, GovernorPolicyOf(policy), weights, CancellationToken.None);
        }

        var (states, from, to) = await RunVillageAsync(nats, postgres, nyx, scenario, policy, seed, database, scenario.WarmUp, scenario.Window);
        var inWindow = states.Where(s => s.At >= from && s.At < to).Select(s => s.State).ToList();
        Console.WriteLine($"  the quiz after it: {await QuizStandingsAsync(postgres, database)}");
        if (nyx is not null)
        {
            await using var trails = NpgsqlDataSource.Create(ConnectionTo(postgres, database));
            Console.WriteLine($"  the NPCs and the cortex over the window: {await CortexAccount.ReadAsync(trails, inWindow, from, to)}");
        }

        if (Learns(policy))
        {
            await PrintWhatItDecidedAsync(postgres, database, GovernorPolicyOf(policy));
            await PrintWindowByTimeAsync(postgres, database, from, to);
        }

        await PrintEpochsAsync(postgres, database, from, to);

        return Score(policy, seed, inWindow, scenario.Weight);
    }

    /// <summary>
    /// A village of this seed that learns for the scenario's maturing time, with no newcomers and no bursts,
    /// under its maturing policy (the learned governor: untrained and started at the fastest rate a fixed
    /// policy is given here, where a young village learns fastest): the database every policy of the seed
    /// then starts from a copy of, and so the governor's training.
    /// </summary>
    private static async Task<string> MatureAsync(NatsServer nats, PrivatePostgres postgres, NyxServer? nyx, Scenario scenario, int seed)
    {
        var database = await CreateDatabaseAsync(postgres, null);
        var (states, _, _) = await RunVillageAsync(nats, postgres, nyx, scenario with { Lifetime = TimeSpan.Zero, Bursts = TimeSpan.Zero }, scenario.MaturedUnder, seed, database, TimeSpan.Zero, scenario.Matured, MaturingRateHz);
        var last = states.Select(s => s.State).GroupBy(s => s.NpcId).Select(g => g.Last()).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  seed {seed}: matured for {scenario.Matured.TotalSeconds:F0} s: level {(last.Count == 0 ? 0 : last.Max(s => s.Level))}, success by NPC {string.Join(" ", last.OrderBy(s => s.NpcId).Select(s => $"{s.SuccessRate:P0}"))}, epsilon by NPC {string.Join(" ", last.OrderBy(s => s.NpcId).Select(s => $"{s.Epsilon:F2}"))}"));
        Console.WriteLine($"  seed {seed}: the quiz after maturing: {await QuizStandingsAsync(postgres, database)}");
        if (Learns(scenario.MaturedUnder))
        {
            await PrintMaturingAsync(postgres, database);
            await PrintProgressByRateAsync(postgres, database);
            await PrintWhatItDecidedAsync(postgres, database, GovernorPolicyOf(scenario.MaturedUnder));
        }
        return database;
    }

    /// <summary>The world's level, its level-ups, and each citizen's latest quiz round (found of asked, * passed), as the world saved them.</summary>
    private static async Task<string> QuizStandingsAsync(PrivatePostgres postgres, string database)
    {
        await using var source = NpgsqlDataSource.Create(ConnectionTo(postgres, database));
        await using var command = source.CreateCommand("select snapshot::text from world_state");
        if (await command.ExecuteScalarAsync() is not string json)
        {
            return "no world saved";
        }

        using var snapshot = JsonDocument.Parse(json);
        var root = snapshot.RootElement;
        var latest = root.GetProperty("citizens").EnumerateArray()
            .Select(c => c.TryGetProperty("latest", out var round) && round.ValueKind == JsonValueKind.Object ? round : (JsonElement?)null).ToList();
        var passed = latest.Count(r => r?.GetProperty("passed").GetBoolean() == true);
        var rounds = latest.Select(r => r is { } round
            ? $"{round.GetProperty("found").GetInt32()}/{round.GetProperty("asked").GetInt32()}{(round.GetProperty("passed").GetBoolean() ? "*" : "")} (round {round.GetProperty("rounds").GetInt32()})"
            : "none yet");
        return $"level {root.GetProperty("level").GetInt32()} after {root.GetProperty("level_ups").GetInt32()} level-ups; passed {passed} of {latest.Count}: {string.Join(", ", rounds)}";
    }

    /// <summary>
    /// The training village of <c>learned-trained</c> or <c>class-bandit-trained</c>: a village of <see cref="TrainingSeed"/>
    /// under <paramref name="governor"/> (the daemon's learned governor or its bandit) for the scenario's training time (its
    /// newcomers, bursts and cortex as measured): the governor's last checkpoint, and how its rate went. With a matured
    /// scenario the village is a copy of <paramref name="matured"/>, the training seed matured as the measured ones are, so
    /// that the governor learns beside brains of every age, and it starts untrained at the maturing rate (or goes on from
    /// the maturing governor, where that was the same policy); else it is fresh and starts untrained at the configured 5 Hz.
    /// </summary>
    private static async Task<(long Epoch, byte[] Weights)> TrainAsync(NatsServer nats, PrivatePostgres postgres, NyxServer? nyx, Scenario scenario, string governor, string? matured)
    {
        var database = await CreateDatabaseAsync(postgres, matured);
        await RunVillageAsync(nats, postgres, nyx, scenario with { Lifetime = scenario.TrainingLifetime ?? scenario.Lifetime }, governor, TrainingSeed, database, TimeSpan.Zero, scenario.Trained, matured is null ? 5 : MaturingRateHz);
        await using var source = NpgsqlDataSource.Create(ConnectionTo(postgres, database));
        await using var command = source.CreateCommand($"""
            select floor(extract(epoch from decided_at - (select min(decided_at) from decision_trails)) / 60) as minute, avg(tick_rate_hz),
                   round(max(inputs[10]) * 3), avg(inputs[6])
            from decision_trails where policy = '{governor}' group by minute order by minute
            """);
        var minutes = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                // The world's level and the mean success rate beside the rate: what the village was going through.
                minutes.Add(string.Create(CultureInfo.InvariantCulture, $"{reader.GetDouble(1):F1} (L{reader.GetDouble(2):F0} {reader.GetDouble(3):P0})"));
            }
        }

        Console.WriteLine($"  {governor} trained for {scenario.Trained.TotalSeconds:F0} s on seed {TrainingSeed}: by minute, its mean tick rate in Hz (the world's level, the mean success): {string.Join(" ", minutes)}");
        await PrintWhatItDecidedAsync(postgres, database, governor);
        return await new PostgresGovernorCheckpoints(source).LatestAsync(governor, CancellationToken.None)
            ?? throw new InvalidOperationException("the training village left no governor checkpoint");
    }

    /// <summary>A new database, empty or a copy of <paramref name="template"/> (whose connections are ended first: PostgreSQL copies only an idle database).</summary>
    private static async Task<string> CreateDatabaseAsync(PrivatePostgres postgres, string? template)
    {
        var database = $"bench_{Guid.NewGuid():N}";
        await using var admin = new NpgsqlConnection(postgres.ConnectionString);
        await admin.OpenAsync();
        if (template is not null)
        {
            await using var end = new NpgsqlCommand($"select count(pg_terminate_backend(pid)) from pg_stat_activity where datname = '{template}' and pid <> pg_backend_pid()", admin);
            await end.ExecuteScalarAsync();
        }

        await using var create = new NpgsqlCommand(template is null ? $"create database {database}" : $"create database {database} template {template}", admin);
        await create.ExecuteNonQueryAsync();
        return database;
    }

    /// <summary>A whole supervisor on <paramref name="database"/> under <paramref name="policy"/> for the warm-up and the window: every NPC state it published, and when the window began and ended.</summary>
    private static async Task<(IReadOnlyList<(DateTimeOffset At, NpcStateBody State)> States, DateTimeOffset From, DateTimeOffset To)> RunVillageAsync(NatsServer nats, PrivatePostgres postgres, NyxServer? nyx, Scenario scenario, string policy, int seed, string database, TimeSpan warmUp, TimeSpan window, double startRateHz = 5)
    {
        // POLICY:HZ runs a baseline around that rate; fixed:HZ is equal-share at it.
        var (name, rate) = policy.Split(':') is [var n, var hz] ? (n, hz) : (policy, null);
        (string, string)[] cortex = nyx is null
            ? [("NIMMERVERSE_NPC__ASKCORTEXAFTER", "0")]
            : [("NIMMERVERSE_NPC__ASKCORTEXAFTER", "3"), ("NIMMERVERSE_CORTEX__ENDPOINT", nyx.ApiBase.ToString()), ("NIMMERVERSE_CORTEX__MAXCONCURRENT", "1")];
        (string, string)[] knobs =
        [
            ("NIMMERVERSE_NPC__LIFETIME", scenario.Lifetime.ToString("c", CultureInfo.InvariantCulture)),
            .. Optional("NIMMERVERSE_GOVERNOR__HOSTCPUBUDGETPERCENT", scenario.HostBudgetPercent),
            .. Optional("NIMMERVERSE_WORLD__MAXLEVEL", scenario.MaxLevel),
            .. Optional("NIMMERVERSE_GOVERNOR__LEARNINGRATE", scenario.LearningRate),
            .. Optional("NIMMERVERSE_GOVERNOR__DISCOUNT", scenario.Discount),
            .. Optional("NIMMERVERSE_GOVERNOR__LIFEFORCEWEIGHT", scenario.LifeforceWeight),
        ];
        var environment = SupervisorEnvironment.Local(nats.Url, ConnectionTo(postgres, database), [.. cortex, .. knobs,
            ("NIMMERVERSE_LOGGING__TARGET", "console"),
            ("NIMMERVERSE_LOGGING__MINIMUMLEVEL", "Warning"),
            ("NIMMERVERSE_NPC__POPULATION", scenario.Population.ToString(CultureInfo.InvariantCulture)),
            // One citizen per brain: the world levels up only when every citizen has passed its quiz, and a citizen
            // without a brain never takes one.
            ("NIMMERVERSE_WORLD__CITIZENS", scenario.Population.ToString(CultureInfo.InvariantCulture)),
            ("NIMMERVERSE_NPC__ROLE", scenario.Roles),
            ("NIMMERVERSE_NPC__BRAINPATH", RepositoryPaths.BrainExecutable),
            ("NIMMERVERSE_NPC__BACKEND", "none"),
            ("NIMMERVERSE_NPC__TICKRATEHZ", rate ?? startRateHz.ToString(CultureInfo.InvariantCulture)),
            ("NIMMERVERSE_GOVERNOR__POLICY", name == "fixed" ? GovernorSettings.EqualShare : GovernorPolicyOf(name)),
            ("NIMMERVERSE_GOVERNOR__SEED", seed.ToString(CultureInfo.InvariantCulture)),
            // Its weights every 10 epochs rather than 60: a matured village hands on all but the last few.
            ("NIMMERVERSE_GOVERNOR__CHECKPOINTEVERY", "10"),
            ("NIMMERVERSE_WORLD__SEED", seed.ToString(CultureInfo.InvariantCulture)),
            ("NIMMERVERSE_TRAILS__SPOOLPATH", Path.Combine(Path.GetTempPath(), $"{database}.spool"))]);
        var loaded = ConfigurationLoader.Load(null, environment, AppContext.BaseDirectory);
        await using var app = SupervisorHost.Build(loaded, new LoggerConfiguration().MinimumLevel.Warning().CreateLogger());
        await app.StartAsync();
        await using var client = new NatsConnection(new NatsOpts { Url = nats.Url });
        var states = new ConcurrentQueue<(DateTimeOffset At, NpcStateBody State)>();
        using var stop = new CancellationTokenSource();
        var listening = Task.Run(async () =>
        {
            await foreach (var m in client.SubscribeAsync<byte[]>("dev.npc.*.state", cancellationToken: stop.Token))
            {
                if (WireCodec.Default.Decode<NpcStateBody>(m.Data ?? []).Envelope is { } e)
                {
                    states.Enqueue((DateTimeOffset.UtcNow, e.Body));
                }
            }
        });

        var bursting = scenario.Bursts > TimeSpan.Zero ? BurstsAsync(client, scenario.Bursts, stop.Token) : Task.CompletedTask;
        DateTimeOffset from, to;
        try
        {
            await Task.Delay(warmUp, StopSignals.Token);
            from = DateTimeOffset.UtcNow;
            await Task.Delay(window, StopSignals.Token);
            to = DateTimeOffset.UtcNow;
        }
        finally
        {
            await stop.CancelAsync();
            await listening.ContinueWith(_ => { }, TaskScheduler.Default);
            await bursting.ContinueWith(_ => { }, TaskScheduler.Default);
            await app.StopAsync(CancellationToken.None); // stopped by a signal too: its brains end with it
        }

        return ([.. states], from, to);
    }


    /// <summary>Every <paramref name="every"/>, three sure waves in each of five domains never seen before: five gates open at once.</summary>
    private static async Task BurstsAsync(NatsConnection client, TimeSpan every, CancellationToken stopping)
    {
        var source = new MessageSource("bench-bursts", "cell", 1);
        for (var burst = 0; !stopping.IsCancellationRequested; burst++)
        {
            await Task.Delay(every, stopping);
            for (var domain = 0; domain < 5; domain++)
            {
                for (var wave = 0; wave < 3; wave++)
                {
                    var body = new WaveBody($"burst-{burst}-{domain}", 1, JsonDocument.Parse("""{"object": "fox"}""").RootElement, 1);
                    await client.PublishAsync("dev.nervous.cells.bursts.wave", WireCodec.Default.Encode(Envelopes.Of(source, body)), cancellationToken: stopping);
                }
            }
        }
    }

    /// <summary>Whether a measured policy learns (the learned governor in any of its starts, the bandit): it is no baseline.</summary>
    private static bool Learns(string policy) => GovernorPolicyOf(policy) is GovernorSettings.Learned or GovernorSettings.ClassBandit;

    /// <summary>The daemon's policy a measured one runs (<c>learned-warm</c> and <c>learned-trained</c> are the learned one, <c>class-bandit-warm</c> and <c>class-bandit-trained</c> the bandit, started otherwise).</summary>
    private static string GovernorPolicyOf(string policy) =>
        policy.StartsWith(GovernorSettings.Learned, StringComparison.Ordinal) ? GovernorSettings.Learned : policy is BanditWarm or BanditTrained ? GovernorSettings.ClassBandit : policy;

    /// <summary>Whether a measured policy starts from a training village's checkpoint.</summary>
    private static bool IsTrained(string policy) => policy is LearnedTrained or BanditTrained;

    /// <summary>SQL naming the stage of the NPC whose features are the array <paramref name="inputs"/>, as <see cref="NpcClass"/> tells it (PostgreSQL arrays count from 1).</summary>
    private static string StageOf(string inputs) =>
        string.Create(CultureInfo.InvariantCulture, $"case when {inputs}[{GovernorFeatures.EpsilonAt + 1}] > {NpcClass.ExploringAbove} then 'exploring' when {inputs}[{GovernorFeatures.SuccessAt + 1}] < {NpcClass.LearningBelow} then 'success < 50 %' else 'success >= 50 %' end");

    /// <summary>SQL naming the quiz standing of the NPC whose features are the array <paramref name="inputs"/>.</summary>
    private static string QuizOf(string inputs) =>
        $"case when {inputs}[{GovernorFeatures.QuizAt + 1}] > 0.5 then 'passed' when {inputs}[{GovernorFeatures.QuizAt + 1}] < -0.5 then 'failed' else 'no round' end";

    /// <summary>
    /// What a learning governor (<paramref name="policy"/>, as its trails name it) did differently per kind of NPC
    /// over its last 60 seconds (by time: a matured village's copy holds the maturing governor's epochs too,
    /// counted from 0), from its own decision trails: by role (the features' one-hot), by whether the NPC still
    /// mostly explores (epsilon above 0.5: a newcomer) or else how often it reached its goal, and by its quiz.
    /// </summary>
    private static async Task PrintWhatItDecidedAsync(PrivatePostgres postgres, string database, string policy)
    {
        await using var dataSource = NpgsqlDataSource.Create(ConnectionTo(postgres, database));
        var role = GovernorFeatures.RoleAt + 1; // PostgreSQL arrays count from 1
        await using var command = dataSource.CreateCommand($"""
            select case when inputs[{role}] = 1 then 'small' when inputs[{role + 1}] = 1 then 'medium' when inputs[{role + 2}] = 1 then 'large' else '?' end,
                   {StageOf("inputs")},
                   {QuizOf("inputs")},
                   avg(tick_rate_hz), avg(case when gate_open then 1.0 else 0.0 end), count(*)
            from decision_trails
            where policy = '{policy}'
              and decided_at > (select max(decided_at) - interval '60 seconds' from decision_trails where policy = '{policy}')
            group by 1, 2, 3 order by 1, 2, 3
            """);
        await using var reader = await command.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await reader.ReadAsync())
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{reader.GetString(0)}, {reader.GetString(1)}, {reader.GetString(2)}: {reader.GetDouble(3):F1} Hz, gate open {reader.GetDecimal(4):P0} ({reader.GetInt64(5)} decisions)"));
        }

        Console.WriteLine($"  its trails, last 60 s: {string.Join("; ", lines)}");
    }

    /// <summary>
    /// How a maturing village went, from its trails, by <see cref="MaturingStretchEpochs"/> epochs: its progress per
    /// CPU-second (what a learner's price follows) and the rate its governor gave the NPCs by quiz standing (failed /
    /// no round / passed). The last minute alone hides a price that fell, or a class starved, early on.
    /// </summary>
    private static async Task PrintMaturingAsync(PrivatePostgres postgres, string database)
    {
        await using var dataSource = NpgsqlDataSource.Create(ConnectionTo(postgres, database));
        var quiz = GovernorFeatures.QuizAt + 1; // PostgreSQL arrays count from 1
        await using var command = dataSource.CreateCommand($"""
            select epoch / {MaturingStretchEpochs}, coalesce(sum(progress)::float8 / nullif(sum(cost)::float8, 0), 0),
                   avg(tick_rate_hz) filter (where inputs[{quiz}] < -0.5),
                   avg(tick_rate_hz) filter (where inputs[{quiz}] between -0.5 and 0.5),
                   avg(tick_rate_hz) filter (where inputs[{quiz}] > 0.5),
                   min(price), max(price)
            from decision_trails group by 1 order by 1
            """);
        await using var reader = await command.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await reader.ReadAsync())
        {
            var hz = string.Join(" / ", Enumerable.Range(2, 3).Select(c => reader.IsDBNull(c) ? "-" : reader.GetDouble(c).ToString("F1", CultureInfo.InvariantCulture)));
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{reader.GetInt64(0) * MaturingStretchEpochs}: {reader.GetDouble(1):F4}, {hz} Hz, price {PriceRange(reader.IsDBNull(5) ? null : reader.GetDouble(5), reader.IsDBNull(6) ? null : reader.GetDouble(6))}"));
        }

        Console.WriteLine($"  maturing by {MaturingStretchEpochs} epochs (from epoch: progress per CPU-s, Hz failed / no round / passed, the governor's price): {string.Join("; ", lines)}");
    }

    /// <summary>A stretch's lowest and highest price ("-" for none: a policy that prices nothing).</summary>
    private static string PriceRange(double? lowest, double? highest) =>
        lowest is { } low && highest is { } high ? string.Create(CultureInfo.InvariantCulture, $"{low:F4}-{high:F4}") : "-";

    /// <summary>
    /// How a learning governor ran the window, by <see cref="WindowBinSeconds"/> seconds: the price it decided at (lowest
    /// and highest) and the rate it gave each kind of NPC (its stage and quiz standing). A price that jumps turns every
    /// kind at once; this shows when, and what the kinds were doing then.
    /// </summary>
    private static async Task PrintWindowByTimeAsync(PrivatePostgres postgres, string database, DateTimeOffset from, DateTimeOffset to)
    {
        await using var dataSource = NpgsqlDataSource.Create(ConnectionTo(postgres, database));
        await using var command = dataSource.CreateCommand($"""
            select floor(extract(epoch from decided_at - $1) / {WindowBinSeconds})::int, price, {StageOf("inputs")} || '/' || {QuizOf("inputs")}, tick_rate_hz
            from decision_trails where decided_at >= $1 and decided_at < $2
            """);
        command.Parameters.AddWithValue(from);
        command.Parameters.AddWithValue(to);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(int Bin, double? Price, string Kind, double Hz)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetDouble(1), reader.GetString(2), reader.GetDouble(3)));
        }

        var bins = rows.GroupBy(r => r.Bin).OrderBy(b => b.Key).Select(b =>
        {
            var price = PriceRange(b.Min(r => r.Price), b.Max(r => r.Price));
            var kinds = b.GroupBy(r => r.Kind).OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => string.Create(CultureInfo.InvariantCulture, $"{k.Key} {k.Average(r => r.Hz):F1} Hz"));
            return $"{b.Key * WindowBinSeconds} s: price {price}, {string.Join(", ", kinds)}";
        });
        Console.WriteLine($"  the window by {WindowBinSeconds} s (the governor's price; Hz by kind): {string.Join("; ", bins)}");
    }

    /// <summary>
    /// What an epoch of each kind of NPC bought at each rate over a maturing, from its trails: a trail's progress is
    /// what its NPC's previous decision yielded, so each is paired with that decision's rate and with the kind the NPC
    /// was when it was made. The mean progress an epoch, its standard error and the epochs, by rate: whether a kind's
    /// progress is in proportion to its ticks, or bends, is read here.
    /// </summary>
    private static async Task PrintProgressByRateAsync(PrivatePostgres postgres, string database)
    {
        await using var dataSource = NpgsqlDataSource.Create(ConnectionTo(postgres, database));
        await using var command = dataSource.CreateCommand($"""
            with paired as (
                select progress, lag(tick_rate_hz) over npc as hz, lag(inputs) over npc as seen
                from decision_trails window npc as (partition by policy, npc_id order by decided_at))
            select {StageOf("seen")},
                   {QuizOf("seen")},
                   case when hz < 1.5 then 1 when hz < 3 then 2 when hz < 7 then 5 when hz < 15 then 10 else 20 end,
                   avg(progress), coalesce(stddev(progress) / sqrt(count(*)), 0), count(*)
            from paired where progress is not null and hz is not null
            group by 1, 2, 3 order by 1, 2, 3
            """);
        await using var reader = await command.ExecuteReaderAsync();
        var kinds = new List<(string Kind, string Rate)>();
        while (await reader.ReadAsync())
        {
            kinds.Add(($"{reader.GetString(0)}, {reader.GetString(1)}", string.Create(CultureInfo.InvariantCulture, $"{reader.GetInt32(2)} Hz {reader.GetDouble(3):F5} ± {reader.GetDouble(4):F5} ({reader.GetInt64(5)})")));
        }

        Console.WriteLine($"  maturing's progress an epoch by kind and rate (mean ± its standard error, epochs): {string.Join("; ", kinds.GroupBy(k => k.Kind).Select(g => $"{g.Key}: {string.Join(", ", g.Select(k => k.Rate))}"))}");
    }

    /// <summary>
    /// What one NPC's epoch yielded over the window, as the governor measured it and a learner is rewarded with
    /// (its trails: each decision with what its NPC's epoch before yielded), per quiz standing: the mean progress,
    /// its spread from epoch to epoch, and the mean CPU-seconds. What a learner must tell from noise is the
    /// difference an allocation makes to the mean, against that spread.
    /// </summary>
    private static async Task PrintEpochsAsync(PrivatePostgres postgres, string database, DateTimeOffset from, DateTimeOffset to)
    {
        await using var dataSource = NpgsqlDataSource.Create(ConnectionTo(postgres, database));
        await using var command = dataSource.CreateCommand($"""
            select {QuizOf("inputs")},
                   avg(progress), coalesce(stddev(progress), 0), avg(cost), count(*)
            from decision_trails
            where decided_at >= $1 and decided_at < $2 and progress is not null
            group by 1 order by 1
            """);
        command.Parameters.AddWithValue(from);
        command.Parameters.AddWithValue(to);
        await using var reader = await command.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await reader.ReadAsync())
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{reader.GetString(0)}: progress {reader.GetDouble(1):F5} ± {reader.GetDouble(2):F5}, {reader.GetDouble(3):F4} CPU-s ({reader.GetInt64(4)} epochs)"));
        }

        Console.WriteLine($"  an NPC's epoch by its quiz, over the window (mean progress ± its spread, mean CPU): {string.Join("; ", lines)}");
    }

    /// <summary>
    /// Sums, per NPC, what each state added to the one before it (in the order they arrived): progress
    /// and CPU by the objective's own measure (a point of lifeforce worth <paramref name="lifeforceWeight"/>).
    /// A pair the objective does not measure (<see cref="GovernorObjective.Measures"/>: across a new brain process, or
    /// from a brain that has not yet seen the world) counts nothing.
    /// </summary>
    private static Run Score(string policy, int seed, IReadOnlyList<NpcStateBody> inWindow, double lifeforceWeight)
    {
        double progress = 0, cpuSeconds = 0;
        var levels = 0;
        var (byKind, byQuiz) = (KindAccounts.ByActivity(lifeforceWeight), KindAccounts.ByQuiz(lifeforceWeight));
        foreach (var npc in inWindow.GroupBy(s => s.NpcId))
        {
            var ordered = npc.ToList();
            for (var i = 1; i < ordered.Count; i++)
            {
                if (!GovernorObjective.Measures(ordered[i - 1], ordered[i]))
                {
                    continue;
                }

                var epoch = GovernorObjective.Of(ordered[i - 1], ordered[i], 0, lifeforceWeight);
                (progress, cpuSeconds) = (progress + epoch.Progress, cpuSeconds + epoch.Cost);
                byKind.Add(ordered[i - 1], ordered[i]);
                byQuiz.Add(ordered[i - 1], ordered[i]);
            }

            levels = Math.Max(levels, ordered.Max(s => s.Level) - ordered.Min(s => s.Level));
        }

        var byRole = inWindow.GroupBy(s => s.Role ?? "?").OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Average(s => s.TickRateHz));
        return new Run(policy, seed, progress, cpuSeconds, byRole, inWindow.Count == 0 ? 0 : inWindow.Average(s => s.SuccessRate), levels, byKind, byQuiz);
    }
}
