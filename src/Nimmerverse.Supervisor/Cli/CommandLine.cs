namespace Nimmerverse.Supervisor.Cli;

/// <summary>What the user asked for on the command line.</summary>
public sealed record CommandLine(string Verb, string? ConfigFile, IReadOnlyList<string> Rest)
{
    public const string Usage = """
        usage: nimmerverse [run] [--config PATH]      run the supervisor (what systemd starts)
               nimmerverse check-config [--config PATH]  validate the configuration and print it
               nimmerverse nats pub|req|sub|math|ask ...  poke cells, watch waves, ask the cortex (nimmerverse nats for help)
               nimmerverse trails export --what cortex|function-gemma|governor [--since T] [--out FILE]
                                                       decision trails as training examples (JSON lines)
               nimmerverse identities init DIR         make the NATS operator, accounts and users in DIR
                                                       (kept if there), and DIR/nats-server.conf
               nimmerverse identities rotate-key DIR ENV   a new signing key for ENV, trusted beside the old
               nimmerverse identities retire-key DIR ENV   then trust the new one only (docs/security.md)
               nimmerverse --version | --help

        Configuration: appsettings.json beside the binary, then /etc/nimmerverse/nimmerverse.json
        (or --config PATH, or $NIMMERVERSE_CONFIG), then NIMMERVERSE_* variables
        (NIMMERVERSE_NATS__URL sets Nimmerverse:Nats:Url). A bad value exits 78 naming the key.
        """;

    public static readonly IReadOnlyList<string> Verbs = ["run", "check-config", "nats", "trails", "identities", "help", "version"];

    /// <summary>Parses the arguments, or returns an error sentence for a usage message (exit 64).</summary>
    public static (CommandLine? Parsed, string? Error) Parse(IReadOnlyList<string> args)
    {
        var verb = "run";
        string? configFile = null;
        var rest = new List<string>();
        if (args is ["identities", "init", var directory])
        {
            return (new CommandLine("identities", null, ["init", directory]), null);
        }

        if (args is ["identities", "rotate-key" or "retire-key", var keys, var environment])
        {
            return Protocol.Environments.IsKnown(environment)
                ? (new CommandLine("identities", null, [args[1], keys, environment]), null)
                : (null, $"'{environment}' is not one of {Protocol.Environments.Listed}");
        }

        if (args.Count > 0 && args[0] == "identities")
        {
            return (null, "identities takes: init DIR | rotate-key DIR ENV | retire-key DIR ENV");
        }

        if (args.Count > 0 && args[0] is "nats" or "trails")
        {
            // These verbs have arguments of their own; only --config is taken out here.
            for (var i = 1; i < args.Count; i++)
            {
                if (args[i] == "--config" && i + 1 < args.Count)
                {
                    configFile = args[++i];
                }
                else
                {
                    rest.Add(args[i]);
                }
            }

            return (new CommandLine(args[0], configFile, rest), null);
        }

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "--help" or "-h":
                    verb = "help";
                    break;
                case "--version":
                    verb = "version";
                    break;
                case "--config":
                    if (i + 1 >= args.Count)
                    {
                        return (null, "--config needs a path");
                    }

                    configFile = args[++i];
                    break;
                case var _ when arg.StartsWith("--config=", StringComparison.Ordinal):
                    configFile = arg["--config=".Length..];
                    break;
                case var _ when i == 0 && !arg.StartsWith('-'):
                    if (!Verbs.Contains(arg))
                    {
                        return (null, $"unknown command '{arg}'");
                    }

                    verb = arg;
                    break;
                default:
                    return (null, $"unexpected argument '{arg}'");
            }
        }

        return (new CommandLine(verb, configFile, rest), null);
    }
}
