using System.Globalization;
using Nimmerverse.Bench;

// dotnet run -c Release --project bench/Nimmerverse.Bench -- nats [WAVES] [RATE] [SECONDS]
// dotnet run -c Release --project bench/Nimmerverse.Bench -- brains [N,N,...] [RATE] [SECONDS] [ENGINES=lean,torch]   (an engine as lean:paused pauses the brains: an idle tick)
// dotnet run -c Release --project bench/Nimmerverse.Bench -- learner [CALLS]
// dotnet run -c Release --project bench/Nimmerverse.Bench -- governor [EPOCHS]
// dotnet run -c Release --project bench/Nimmerverse.Bench -- governor-kinds [SEEDS] [DISCOUNTS: 0.97,0.99] [LAMBDA: 0.95]
// dotnet run -c Release --project bench/Nimmerverse.Bench -- governor-learning [POPULATION] [WARMUP_S] [WINDOW_S] [SEEDS] [ROLES] [POLICIES] [KNOBS, comma-separated: the table in GovernorLearningBenchmark.Scenario; an unknown one prints them all]   (as root: a private PostgreSQL)
// dotnet run -c Release --project bench/Nimmerverse.Bench -- trails [ROWS]   (as root: starts a private PostgreSQL)
// dotnet run -c Release --project bench/Nimmerverse.Bench -- scopes [BRAINS] [CHANGES]   (as root: boots the systemd sandbox)
// dotnet run -c Release --project bench/Nimmerverse.Bench -- spawn [ROUNDS]   (as root, with the nyx-nervous user)
// dotnet run -c Release --project bench/Nimmerverse.Bench -- cortex [REQUESTS] [CONCURRENCY] [ROUNDS]
// dotnet run -c Release --project bench/Nimmerverse.Bench -- organs [WARM] [MIXED_S] [RATE] [RESIDENCY_S]   (after ./nimmerverse test or up has published the organ)
// dotnet run -c Release --project bench/Nimmerverse.Bench -- dashboard [BRAINS] [WINDOW_S] [ROUNDS]   (as root, after ./nimmerverse test or up has published the supervisor)
// dotnet run -c Release --project bench/Nimmerverse.Bench -- failover [RUNS] [STABLE_AFTER_S]   (as root, after ./nimmerverse test or up has published the supervisor)
// dotnet run -c Release --project bench/Nimmerverse.Bench -- fuzz [MESSAGES] [RATE] [HTTP] [UP_LOG]   (against a running ./nimmerverse up)
// dotnet run -c Release --project bench/Nimmerverse.Bench -- rates [SECONDS]   (against a running ./nimmerverse up)
var what = args.Length > 0 ? args[0] : "nats";
switch (what)
{
    case "nats":
        var waves = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200_000;
        var rate = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10_000;
        var seconds = args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 5;
        await NatsBridgeBenchmark.RunAsync(waves, rate, TimeSpan.FromSeconds(seconds));
        return 0;
    case "drive":
        // The load driver, started by the nats benchmark as a separate process.
        await NatsBridgeBenchmark.DriveAsync(args[1], int.Parse(args[2], CultureInfo.InvariantCulture), TimeSpan.FromSeconds(double.Parse(args[3], CultureInfo.InvariantCulture)),
            int.Parse(args[4], CultureInfo.InvariantCulture), args[5] == "raw");
        return 0;
    case "learner":
        LearnerBenchmark.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2000);
        return 0;
    case "brains":
        var populations = (args.Length > 1 ? args[1] : "10,25,50,100").Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToArray();
        var brainRate = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 5;
        var window = args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 20;
        var engines = (args.Length > 4 ? args[4] : "lean,torch").Split(',');
        await BrainPopulationBenchmark.RunAsync(populations, brainRate, TimeSpan.FromSeconds(window), engines);
        return 0;
    case "governor":
        GovernorBenchmark.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200);
        return 0;
    case "governor-kinds":
        GovernorKindsBenchmark.Run(
            args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 6,
            [.. (args.Length > 2 ? args[2] : "0.97,0.99").Split(',').Select(g => double.Parse(g, CultureInfo.InvariantCulture))],
            args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : Nimmerverse.Actors.Governor.LearnedPolicy.DefaultLambda);
        return 0;
    case "governor-learning":
        return await GovernorLearningBenchmark.RunAsync(new GovernorLearningBenchmark.Scenario(
            args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 9,
            args.Length > 5 ? args[5] : "small,medium,large",
            TimeSpan.FromSeconds(args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 20),
            TimeSpan.FromSeconds(args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 120),
            args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 3,
            (args.Length > 6 ? args[6] : "learned,progress-share,learned-warm,fixed:2,fixed:5,fixed:10,fixed:20").Split(',')).With(args.Length > 7 ? args[7] : "none"));
    case "trails":
        await TrailBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 500_000);
        return 0;
    case "scopes":
        return await ScopeBenchmark.RunAsync(
            args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 50,
            args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 1000);
    case "scopes-inside":
        // What the scopes benchmark runs inside the sandbox.
        await ScopeBenchmark.InsideAsync(args[1], args[2], int.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture));
        return 0;
    case "failover":
        await FailoverBenchmark.RunAsync(
            args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5,
            TimeSpan.FromSeconds(args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 5));
        return 0;
    case "fuzz":
        return await FuzzBenchmark.RunAsync(
            args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5000,
            args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 500,
            args.Length > 3 ? args[3] : "http://127.0.0.1:8480",
            args.Length > 4 ? args[4] : null);
    case "cortex":
        await CortexBenchmark.RunAsync(
            args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200,
            args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2,
            args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 3);
        return 0;
    case "organs":
        await OrganBenchmark.RunAsync(
            args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100,
            TimeSpan.FromSeconds(args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 60),
            args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 1.5,
            TimeSpan.FromSeconds(args.Length > 4 ? double.Parse(args[4], CultureInfo.InvariantCulture) : 5));
        return 0;
    case "dashboard":
        await DashboardBenchmark.RunAsync(
            args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 25,
            TimeSpan.FromSeconds(args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 30),
            args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 3);
        return 0;
    case "rates":
        return await UpRatesBenchmark.RunAsync(TimeSpan.FromSeconds(args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 60));
    case "spawn":
        return await SpawnBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20);
    default:
        Console.Error.WriteLine("usage: Nimmerverse.Bench nats [WAVES] [RATE] [SECONDS] | brains [N,N,...] [RATE] [SECONDS] [ENGINES] | learner [CALLS] | governor [EPOCHS] | governor-kinds [SEEDS] [DISCOUNTS] [LAMBDA] | governor-learning [POPULATION] [WARMUP_S] [WINDOW_S] [TICK_HZ] | trails [ROWS] | scopes [BRAINS] [CHANGES] | spawn [ROUNDS] | cortex [REQUESTS] [CONCURRENCY] [ROUNDS] | organs [WARM] [MIXED_S] [RATE] [RESIDENCY_S] | dashboard [BRAINS] [WINDOW_S] [ROUNDS] | fuzz [MESSAGES] [RATE] [HTTP] [UP_LOG] | rates [SECONDS]");
        return 64;
}
