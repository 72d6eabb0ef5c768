using System.Globalization;
using System.Text.Json;
using Nimmerverse.Actors.Governor;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Persistence;
using Npgsql;

namespace Nimmerverse.Supervisor.Cli;

/// <summary>
/// <c>nimmerverse trails warm-start --from FILE</c>: trains the governor's learning policy on an export of its
/// decision trails (<c>trails export --what governor</c>) and stores what it learnt as its newest
/// checkpoint, which the governor loads when it next starts and goes on learning from online: the
/// bandit per class where <c>Governor:Policy</c> is <c>class-bandit</c>, else the learned governor.
/// </summary>
public sealed class WarmStartCommand(TextWriter output, TextWriter error)
{
    public const string Usage = """
        usage: nimmerverse trails warm-start --from FILE.jsonl [--passes N]

          --from       an export of the governor's trails (nimmerverse trails export --what governor)
          --passes     passes over the decisions (1-1000), for the learned governor; default 20
        Trains the bandit per class where Governor:Policy is class-bandit (each recorded hold booked once),
        else the learned governor. Stored as its newest checkpoint (PostgreSQL, governor_checkpoints):
        restart the supervisor that runs the governor to start from it.
        """;

    /// <summary>sysexits(3): the file holds no decision to learn from.</summary>
    public const int ExitDataError = 65;

    /// <summary>sysexits(3): the file cannot be read.</summary>
    public const int ExitNoInput = 66;

    public async Task<int> RunAsync(IReadOnlyList<string> args, string connectionString, GovernorSettings settings, CancellationToken cancellationToken)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] is not ("--from" or "--passes") || i + 1 >= args.Count)
            {
                return Fail($"unexpected argument '{args[i]}'");
            }

            options[args[i]] = args[++i];
        }

        if (!options.TryGetValue("--from", out var path))
        {
            return Fail("--from is required");
        }

        var passes = 20;
        if (options.TryGetValue("--passes", out var given) && (!int.TryParse(given, CultureInfo.InvariantCulture, out passes) || passes is < 1 or > 1000))
        {
            return Fail($"--passes '{given}' is not a whole number in 1..1000");
        }

        List<TrailTrajectories.Recorded> recorded = [];
        try
        {
            var line = 0;
            foreach (var text in await File.ReadAllLinesAsync(path, cancellationToken).ConfigureAwait(false))
            {
                line++;
                if (text.Length > 0)
                {
                    recorded.Add(Read(text) ?? throw new InvalidDataException($"line {line} is not a governor example of trails export"));
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"nimmerverse trails: cannot read {path}: {e.Message}").ConfigureAwait(false);
            return ExitNoInput;
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            await error.WriteLineAsync($"nimmerverse trails: {path}: {e.Message}").ConfigureAwait(false);
            return ExitDataError;
        }

        var (trajectories, unused) = TrailTrajectories.Of(recorded);
        using IGovernorPolicy policy = settings.Policy == GovernorSettings.ClassBandit
            ? new ClassBanditPolicy(settings.Seed)
            : new LearnedPolicy(settings.Exploration, settings.LearningRate, settings.Seed);
        (int Learnt, double Price, string Done, string Needs) result;
        if (policy is ClassBanditPolicy bandit)
        {
            var holds = bandit.WarmStart(trajectories);
            result = (holds, bandit.Price, $"warm-started the bandit per class: {holds} holds of {ClassBanditPolicy.DefaultHoldEpochs} epochs booked from {trajectories.Count} trajectories", $"a hold needs {ClassBanditPolicy.DefaultHoldEpochs + 1} epochs of the same NPC");
        }
        else
        {
            var learned = (LearnedPolicy)policy;
            var credited = learned.WarmStart(trajectories, passes);
            result = (credited, learned.Price, $"warm-started the learned governor: {credited} decisions of {trajectories.Count} trajectories credited per pass, {passes} passes", $"a decision needs {LearnedPolicy.DefaultHorizon} epochs of the same NPC after it");
        }

        var (learnt, price, done, needs) = result;
        if (learnt == 0)
        {
            await error.WriteLineAsync($"nimmerverse trails: {path}: none of its {recorded.Count} decisions can be learnt from: {needs}, with their outcomes ({unused} had none after them)").ConfigureAwait(false);
            return ExitDataError;
        }

        try
        {
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            await new PostgresGovernorCheckpoints(dataSource).SaveAsync(Guid.NewGuid(), 0, policy.Name, policy.SaveWeights()!, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            await error.WriteLineAsync($"nimmerverse trails: PostgreSQL: {e.Message}").ConfigureAwait(false);
            return TrailsCommand.ExitUnavailable;
        }

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{done}; {unused} of {recorded.Count} without an outcome after them; a CPU-second priced at {price:G3} of skill (the recorded village's own progress per CPU-second, never below 0). Stored as its newest checkpoint: restart the supervisor that runs the governor to start from it.")).ConfigureAwait(false);
        return 0;
    }

    /// <summary>One export line: the user's message holds the epoch, the NPC and its features, the assistant's the allocation.</summary>
    private static TrailTrajectories.Recorded? Read(string line)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        if (root.GetProperty("what").GetString() != "governor")
        {
            return null;
        }

        var messages = root.GetProperty("messages");
        using var asked = JsonDocument.Parse(messages[1].GetProperty("content").GetString()!);
        using var answered = JsonDocument.Parse(messages[2].GetProperty("content").GetString()!);
        var (user, allocation) = (asked.RootElement, answered.RootElement);
        var npcId = user.GetProperty("npc_id").GetInt32();
        NpcYield? outcome = root.TryGetProperty("progress", out var progress) && progress.ValueKind == JsonValueKind.Number && root.TryGetProperty("cost", out var cost) && cost.ValueKind == JsonValueKind.Number
            ? new NpcYield(progress.GetDouble(), cost.GetDouble())
            : null;
        return new TrailTrajectories.Recorded(
            root.GetProperty("at").GetDateTimeOffset(),
            user.GetProperty("epoch").GetInt64(),
            npcId,
            [.. user.GetProperty("features").EnumerateArray().Select(f => f.GetSingle())],
            new NpcAllocation(npcId, allocation.GetProperty("tick_rate_hz").GetDouble(), allocation.GetProperty("cpu_quota_percent").GetDouble(), allocation.GetProperty("gate_open").GetBoolean(), allocation.GetProperty("llm_priority").GetInt32()),
            outcome);
    }

    private int Fail(string problem)
    {
        error.WriteLine($"nimmerverse trails: {problem}\n\n{Usage}");
        return Program.ExitUsage;
    }
}
