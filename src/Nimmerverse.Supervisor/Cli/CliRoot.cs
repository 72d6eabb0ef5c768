using System.CommandLine;
using System.Globalization;
using Nimmerverse.Supervisor.Configuration;

namespace Nimmerverse.Supervisor.Cli;

/// <summary>
/// The command line, parsed by System.CommandLine: the verbs, their options, help (<c>--help</c> on every verb,
/// no server needed) and shell completion (<c>nimmerverse completion bash</c>). A command line it cannot parse
/// exits 64 naming the problem. <c>nats</c> and <c>trails</c> hand their arguments to their own readers.
/// </summary>
public static class CliRoot
{
    private static readonly Option<string?> Config = new("--config") { Description = "the configuration file (default /etc/nimmerverse/nimmerverse.json, or $NIMMERVERSE_CONFIG)", HelpName = "PATH", Recursive = true };
    private static readonly Option<bool> Json = new("--json") { Description = "JSON (JSON Lines for lists and streams) instead of a table", Recursive = true };
    private static readonly Option<string?> Url = new("--url") { Description = "the supervisor's HTTP address (default: Nimmerverse:Http:Listen of the configuration)", HelpName = "URL", Recursive = true };
    private static readonly Option<string?> TokenFile = new("--token-file") { Description = "the operator token for actions (default: Nimmerverse:Http:OperatorTokenFile)", HelpName = "PATH", Recursive = true };

    public static async Task<int> InvokeAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        var parsed = Build(args).Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var problem in parsed.Errors)
            {
                await error.WriteLineAsync($"nimmerverse: {problem.Message}").ConfigureAwait(false);
            }

            await error.WriteLineAsync("(nimmerverse --help lists the commands; nimmerverse COMMAND --help explains one)").ConfigureAwait(false);
            return Program.ExitUsage;
        }

        // The daemon stops on SIGTERM by its own host, in its own time: no timeout of the parser's may cut that short.
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null }).ConfigureAwait(false);
    }

    public static RootCommand Build(IReadOnlyList<string> args)
    {
        var root = new RootCommand("The nimmerverse supervisor: run it (what systemd starts), check its configuration, and operate a running one.") { Config };
        root.SetAction((result, _) => Program.RunDaemonAsync(result.GetValue(Config)));

        var run = new Command("run", "run the supervisor in the foreground (what systemd starts)");
        run.SetAction((result, _) => Program.RunDaemonAsync(result.GetValue(Config)));
        var checkConfig = new Command("check-config", "validate the configuration and print it; a bad value exits 78 naming the key");
        checkConfig.SetAction(result => Program.CheckConfig(result.GetValue(Config)));
        root.Add(run);
        root.Add(checkConfig);
        root.Add(PassThrough("nats", "poke cells, watch waves, ask the cortex and the organs on the bus (pub|req|sub|math|ask|see|hear|say)", NatsCommand.Usage, args, Program.NatsAsync));
        root.Add(PassThrough("trails", "decision trails as training examples (export --what cortex|function-gemma|governor), and the governor's offline start (warm-start --from FILE)", TrailsCommand.Usage, args, Program.TrailsAsync));
        root.Add(Identities());
        foreach (var command in OperatorVerbs())
        {
            root.Add(command);
        }

        root.Add(Completion());
        return root;
    }

    /// <summary>A verb with a reader of its own: every argument after it (but <c>--config</c>) goes there as given.</summary>
    /// <remarks>Its help is the summary, and its own usage (which it also prints when called without arguments).</remarks>
    private static Command PassThrough(string verb, string summary, string usage, IReadOnlyList<string> args, Func<string?, IReadOnlyList<string>, Task<int>> run)
    {
        var command = new Command(verb, summary) { TreatUnmatchedTokensAsErrors = false };
        command.Add(new Argument<string[]>("arguments") { Arity = ArgumentArity.ZeroOrMore, Description = usage });
        command.SetAction((result, _) => run(result.GetValue(Config), ArgumentsAfter(verb, args)));
        return command;
    }

    internal static List<string> ArgumentsAfter(string verb, IReadOnlyList<string> args)
    {
        var rest = new List<string>();
        var seen = false;
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--config")
            {
                i++;
            }
            else if (!args[i].StartsWith("--config=", StringComparison.Ordinal))
            {
                if (seen)
                {
                    rest.Add(args[i]);
                }

                seen |= args[i] == verb;
            }
        }

        return rest;
    }

    private static Command Identities()
    {
        var directory = new Argument<string>("DIR") { Description = "the identities' folder" };
        var environment = new Argument<string>("ENV") { Description = "dev, staging or prod" };
        environment.AcceptOnlyFromAmong([.. Protocol.Environments.All]);
        var init = new Command("init", "make the NATS operator, accounts and users in DIR (kept if there), and DIR/nats-server.conf") { directory };
        init.SetAction(result => Program.InitIdentities(result.GetValue(directory)!));
        var identities = new Command("identities", "the NATS identities: the operator, the accounts per environment, their users") { init };
        foreach (var (step, description) in new[] { ("rotate-key", "a new signing key for ENV, trusted beside the old"), ("retire-key", "then trust the new one only (docs/security.md)") })
        {
            var command = new Command(step, description) { directory, environment };
            command.SetAction(result => Program.RotateSigningKey(step, result.GetValue(directory)!, result.GetValue(environment)!));
            identities.Add(command);
        }

        return identities;
    }

    private static IEnumerable<Command> OperatorVerbs()
    {
        var status = new Command("status", "this supervisor now: status line, NATS, cluster members") { Json, Url };
        status.SetAction((result, _) => Operate(result, (o, c) => o.StatusAsync(c)));

        var watch = new Option<bool>("--watch") { Description = "follow the NPCs live (JSON Lines with --json) until Ctrl-C" };
        var npcs = new Command("npcs", "every NPC: host, state, tick rate, CPU quota and use, lifeforce, level, success, restarts") { Json, Url, watch };
        npcs.SetAction((result, _) => Operate(result, (o, c) => result.GetValue(watch) ? o.WatchNpcsAsync(c) : o.NpcsAsync(c)));

        var id = new Argument<int>("ID") { Description = "the NPC's id" };
        var npc = new Command("npc", "act on one NPC (needs the operator token); each waits to see the effect") { id, Json, Url, TokenFile };
        foreach (var action in new[] { "pause", "resume", "restart" })
        {
            var command = new Command(action, action switch { "pause" => "pause its brain (it stops ticking, keeps its weights)", "resume" => "let it tick again", _ => "have it checkpoint and exit; its host starts it again" });
            command.SetAction((result, _) => OnNpc(result, id, n => $"/api/npcs/{n}/{action}"));
            npc.Add(command);
        }

        var hz = new Argument<double>("HZ") { Description = "ticks per second, 1..20" };
        var rate = new Command("rate", "set its tick rate (until the governor's next epoch decides again)") { hz };
        rate.SetAction((result, _) => OnNpc(result, id, n => $"/api/npcs/{n}/rate?hz={Invariant(result.GetValue(hz))}"));
        var percent = new Argument<double>("PCT") { Description = "percent of one core, 5..100" };
        var quota = new Command("quota", "set its CPU quota through systemd (until the governor's next epoch decides again)") { percent };
        quota.SetAction((result, _) => OnNpc(result, id, n => $"/api/npcs/{n}/quota?percent={Invariant(result.GetValue(percent))}"));
        npc.Add(rate);
        npc.Add(quota);

        var gates = new Command("gates", "the thalamus gates: state, value, when they last changed") { Json, Url };
        gates.SetAction((result, _) => Operate(result, (o, c) => o.GatesAsync(c)));

        var members = new Command("members", "the members: address, host, status, reachable, roles");
        members.SetAction((result, _) => Operate(result, (o, c) => o.MembersAsync(c)));
        var cluster = new Command("cluster", "the Akka cluster") { Json, Url, TokenFile, members };
        foreach (var action in new[] { "leave", "down" })
        {
            var address = new Argument<string>("ADDRESS") { Description = "a member's address, as cluster members shows it" };
            var command = new Command(action, action == "leave" ? "have a member leave gracefully (needs the operator token)" : "mark an unreachable member down (needs the operator token)") { address };
            command.SetAction((result, _) => Operate(result, (o, c) => o.ActAsync($"/api/cluster/{action}?address={Uri.EscapeDataString(result.GetValue(address)!)}", c)));
            cluster.Add(command);
        }

        return [status, npcs, npc, gates, cluster];
    }

    private static Command Completion()
    {
        var shell = new Argument<string>("SHELL") { Description = "bash" };
        shell.AcceptOnlyFromAmong("bash");
        var completion = new Command("completion", "print the shell completion script: source <(nimmerverse completion bash)") { shell };
        completion.SetAction(result => result.InvocationConfiguration.Output.Write("""
            # nimmerverse completion for bash: the binary completes its own command line ([suggest] directive).
            _nimmerverse() {
              local IFS=$'\n'
              COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
            }
            complete -o default -F _nimmerverse nimmerverse

            """));
        return completion;
    }

    /// <summary>
    /// An action on NPC <paramref name="id"/>. The parser does not convert a parent command's argument when a
    /// subcommand follows (<c>npc seven pause</c> would throw), so the id is read here.
    /// </summary>
    private static Task<int> OnNpc(ParseResult result, Argument<int> id, Func<int, string> path)
    {
        var given = result.GetResult(id)?.Tokens.FirstOrDefault()?.Value;
        if (!int.TryParse(given, NumberStyles.None, CultureInfo.InvariantCulture, out var npc))
        {
            result.InvocationConfiguration.Error.WriteLine($"nimmerverse: '{given}' is not an NPC id (a number such as 7)");
            return Task.FromResult(Program.ExitUsage);
        }

        return Operate(result, (o, c) => o.ActAsync(path(npc), c));
    }

    private static async Task<int> Operate(ParseResult result, Func<OperatorCommand, CancellationToken, Task<int>> verb)
    {
        ConfigurationLoader.Loaded loaded;
        try
        {
            loaded = ConfigurationLoader.Load(result.GetValue(Config), Environment.GetEnvironmentVariables(), AppContext.BaseDirectory);
        }
        catch (ConfigurationException e)
        {
            Program.ReportConfigurationErrors(e, result.CommandResult.Command.Name);
            return Program.ExitConfig;
        }

        var tokenFile = result.GetValue(TokenFile) ?? loaded.Options.Http.OperatorTokenFile;
        string? token = null;
        if (tokenFile is not null && File.Exists(tokenFile))
        {
            token = (await File.ReadAllTextAsync(tokenFile).ConfigureAwait(false)).Trim();
        }

        using var http = new HttpClient { BaseAddress = new Uri(result.GetValue(Url) ?? loaded.Options.Http.Listen), Timeout = TimeSpan.FromSeconds(30) };
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        var configuration = result.InvocationConfiguration;
        return await verb(new OperatorCommand(configuration.Output, configuration.Error, http, token, result.GetValue(Json)), cancel.Token).ConfigureAwait(false);
    }

    private static string Invariant(double value) => value.ToString(CultureInfo.InvariantCulture);
}
