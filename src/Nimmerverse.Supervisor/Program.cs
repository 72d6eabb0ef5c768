using Nimmerverse.Supervisor.Cli;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Supervisor.Hosting;
using Nimmerverse.Supervisor.Logging;
using Serilog;
using Nimmerverse.Actors.Configuration;

namespace Nimmerverse.Supervisor;

public static class Program
{
    /// <summary>sysexits(3): bad command line.</summary>
    public const int ExitUsage = 64;

    /// <summary>sysexits(3): bad configuration; systemd shows it as status=78/CONFIG.</summary>
    public const int ExitConfig = 78;

    public static Task<int> Main(string[] args) => CliRoot.InvokeAsync(args, Console.Out, Console.Error);

    /// <summary>Loads the configuration; null (having said why) when it is bad.</summary>
    private static ConfigurationLoader.Loaded? Load(string? configFile, string verb)
    {
        try
        {
            return ConfigurationLoader.Load(configFile, Environment.GetEnvironmentVariables(), AppContext.BaseDirectory);
        }
        catch (ConfigurationException e)
        {
            ReportConfigurationErrors(e, verb);
            return null;
        }
    }

    /// <summary><c>nimmerverse [run]</c>: the daemon, until SIGTERM; exit 78 on a bad configuration or installation.</summary>
    internal static async Task<int> RunDaemonAsync(string? configFile)
    {
        if (Load(configFile, "run") is not { } loaded)
        {
            return ExitConfig;
        }

        if (loaded.Options.ValidateInstallation() is { Count: > 0 } missing)
        {
            ReportConfigurationErrors(new ConfigurationException(missing), "run");
            return ExitConfig;
        }

        return await RunAsync(loaded).ConfigureAwait(false);
    }

    internal static int CheckConfig(string? configFile)
    {
        if (Load(configFile, "check-config") is not { } loaded)
        {
            return ExitConfig;
        }

        if (loaded.Options.ValidateInstallation() is { Count: > 0 } missing)
        {
            ReportConfigurationErrors(new ConfigurationException(missing), "check-config");
            return ExitConfig;
        }

        Console.WriteLine($"configuration is valid (file: {loaded.ConfigFile ?? "none, defaults"})");
        Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(loaded.Options.Redacted(), OptionsJsonContext.Default.NimmerverseOptions));
        return 0;
    }

    internal static async Task<int> NatsAsync(string? configFile, IReadOnlyList<string> rest)
    {
        if (Load(configFile, "nats") is not { } loaded)
        {
            return ExitConfig;
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        return await new NatsCommand(Console.Out, Console.Error).RunAsync(rest, loaded.Options.Nats.Url, cancel.Token).ConfigureAwait(false);
    }

    internal static async Task<int> TrailsAsync(string? configFile, IReadOnlyList<string> rest) =>
        Load(configFile, "trails") is not { } loaded
            ? ExitConfig
            : await new TrailsCommand(Console.Out, Console.Error).RunAsync(
                rest, Persistence.PostgresConnections.Writer(loaded.Options.Postgres), TimeProvider.System, CancellationToken.None, loaded.Options.Governor).ConfigureAwait(false);

    private static async Task<int> RunAsync(ConfigurationLoader.Loaded loaded)
    {
        var options = loaded.Options;
        await using var logger = SupervisorLogging.Create(options.Logging, options.Environment, options.HostName);
        // Akka.Logger.Serilog writes through the static logger.
        Log.Logger = logger;
        try
        {
            logger.Information("Starting the nimmerverse supervisor on {HostName} (environment {Environment}, config {ConfigFile})", options.HostName, options.Environment, loaded.ConfigFile ?? "defaults");
            var app = SupervisorHost.Build(loaded, logger);
            await app.RunAsync().ConfigureAwait(false);
            logger.Information("The nimmerverse supervisor stopped with exit code {ExitCode}", Environment.ExitCode);
            return Environment.ExitCode;
        }
        catch (Exception e)
        {
            logger.Fatal(e, "The nimmerverse supervisor failed");
            return 1;
        }
    }

    internal static void ReportConfigurationErrors(ConfigurationException e, string verb)
    {
        using var logger = SupervisorLogging.CreateBootstrap();
        foreach (var problem in e.Errors)
        {
            logger.Error("Invalid configuration {ConfigKey}: {Problem}", problem.Key, problem.Problem);
        }

        logger.Fatal("The nimmerverse supervisor cannot {Verb}: {ErrorCount} configuration error(s); exiting with {ExitCode}", verb, e.Errors.Count, ExitConfig);
    }

    /// <summary>
    /// <c>nimmerverse identities rotate-key|retire-key DIR ENV</c>: the two steps of a signing-key rotation;
    /// exit 65 (EX_DATAERR) when the step does not fit (one under way, or none), 73 when a file cannot be read or written.
    /// </summary>
    internal static int RotateSigningKey(string step, string directory, string environment)
    {
        var identities = Identities.NatsIdentities.At(directory);
        try
        {
            if (step == "rotate-key")
            {
                identities.RotateSigningKey(environment);
                Console.WriteLine($"{environment}: a new signing key; the account trusts it and the previous one. Next:");
                Console.WriteLine($"  1. reload nats-server (kill -HUP its PID) with {identities.ServerConfig}");
                Console.WriteLine($"  2. copy {identities.SigningKey(environment)}, {identities.AccountJwt(environment)} and {identities.SupervisorCreds(environment)} to every host of {environment}; restart their supervisors");
                Console.WriteLine($"  3. nimmerverse identities retire-key {directory} {environment}, and reload nats-server again");
            }
            else
            {
                identities.RetireSigningKey(environment);
                Console.WriteLine($"{environment}: the previous signing key is retired. Reload nats-server: every user it signed is refused from then on.");
            }

            return 0;
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"nimmerverse: {e.Message}");
            return 65;
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"nimmerverse: {e.Message}");
            return 73;
        }
    }

    /// <summary><c>nimmerverse identities init DIR</c>: the NATS identities, kept where they exist; exit 73 (EX_CANTCREAT) naming the path when they cannot be written.</summary>
    internal static int InitIdentities(string directory)
    {
        try
        {
            var identities = Identities.NatsIdentities.Create(directory);
            Console.WriteLine($"NATS identities in {Path.GetFullPath(directory)}");
            Console.WriteLine($"  server:     nats-server -c {identities.ServerConfig} (operator mode, resolver MEMORY)");
            Console.WriteLine($"  supervisor: Nats:Identities = {Path.GetFullPath(directory)} (connects as creds/supervisor-ENV.creds, mints each brain's creds)");
            Console.WriteLine($"  people:     nimmerverse nats sub 'dev.>' --creds {identities.OperatorCreds("dev")}");
            return 0;
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"nimmerverse: {e.Message}");
            return 73;
        }
    }
}
