using System.Globalization;
using Nimmerverse.Brains.Learning;

namespace Nimmerverse.Brains;

/// <summary>
/// The command line of <c>nimmerverse-brain</c>, as the supervisor's NpcProcess actor writes it:
/// <c>--id 7 --tick-rate 5 --env dev --nats nats://127.0.0.1:4222</c>.
/// </summary>
public sealed record BrainArguments(int Id, double TickRateHz, string Environment, Uri NatsUrl, int Seed, BrainRole Role, TimeSpan CheckpointEvery)
{
    /// <summary>The governor's tick-rate range (DOMAIN.md): 1-20 Hz.</summary>
    public const double MinTickRateHz = 1;

    public const double MaxTickRateHz = 20;

    public const int MaxId = 1_000_000;

    public const string DefaultNatsUrl = "nats://127.0.0.1:4222";

    public static readonly IReadOnlyList<string> Environments = ["dev", "staging", "prod"];

    public const string Usage = """
        usage: nimmerverse-brain --id N [--tick-rate HZ] [--env dev|staging|prod] [--nats URL]
                                 [--seed S] [--role small|medium|large] [--checkpoint-every SECONDS]

          --id N                    the NPC's id, 0-1000000 (required)
          --tick-rate HZ            ticks per second, 1-20 (default 5)
          --env ENV                 subject environment: dev, staging or prod (default dev)
          --nats URL                NATS server (default nats://127.0.0.1:4222)
          --seed S                  seed of the network's initial weights and of exploration
                                    (default: the id)
          --role ROLE               network size: small, medium or large (default medium)
          --checkpoint-every SECS   hand the weights to the supervisor this often, 5-3600
                                    (default 30; also on the checkpoint command and on SIGTERM)
        """;

    public const double DefaultCheckpointSeconds = 30;

    /// <summary>Parses the arguments, or returns the sentence that says what is wrong (exit 64 with usage).</summary>
    public static (BrainArguments? Parsed, string? Error) Parse(IReadOnlyList<string> args)
    {
        int? id = null;
        var tickRate = 5.0;
        var environment = "dev";
        var nats = DefaultNatsUrl;
        int? seed = null;
        var role = BrainRole.Medium;
        var checkpointSeconds = DefaultCheckpointSeconds;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name is not ("--id" or "--tick-rate" or "--env" or "--nats" or "--seed" or "--role" or "--checkpoint-every"))
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
                    if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out tickRate) || !double.IsFinite(tickRate) || tickRate < MinTickRateHz || tickRate > MaxTickRateHz)
                    {
                        return (null, $"--tick-rate '{value}' is not a rate from {MinTickRateHz} to {MaxTickRateHz} Hz");
                    }

                    break;
                case "--env":
                    if (!Environments.Contains(value))
                    {
                        return (null, $"--env '{value}' is not one of {string.Join(", ", Environments)}");
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
                    if (BrainRole.Named(value) is not { } named)
                    {
                        return (null, $"--role '{value}' is not one of {string.Join(", ", BrainRole.All.Select(r => r.Name))}");
                    }

                    role = named;
                    break;
                case "--checkpoint-every":
                    if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out checkpointSeconds) || !double.IsFinite(checkpointSeconds) || checkpointSeconds < 5 || checkpointSeconds > 3600)
                    {
                        return (null, $"--checkpoint-every '{value}' is not a number of seconds from 5 to 3600");
                    }

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

        return (new BrainArguments(id.Value, tickRate, environment, natsUrl, seed ?? id.Value, role, TimeSpan.FromSeconds(checkpointSeconds)), null);
    }
}
