using System.Globalization;
using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Npc;

/// <summary>A brain process that runs without a keeper: its PID and its NPC id.</summary>
public sealed record StrayBrain(int Pid, int NpcId);

/// <summary>
/// Brains left running by a supervisor that died where no systemd keeps their scopes for a
/// successor (brains of this version end by themselves then, see <c>--parent</c>; one of an older
/// version, or one that missed its parent's death, would not): they talk on this supervisor's bus
/// and environment, and their parent is no supervisor. Found in <c>/proc</c> by their command line,
/// which <see cref="BrainCommandLine"/> reads back. Left running, each would be the twin of the
/// brain this supervisor is about to start for its id.
/// </summary>
public static class StrayBrains
{
    private const string Brain = "nimmerverse-brain";
    private const string Supervisor = "nimmerverse";

    public static IReadOnlyList<StrayBrain> Find(string environment, Uri natsUrl)
    {
        var strays = new List<StrayBrain>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || BrainArgumentsOf(pid) is not { } arguments
                || BrainCommandLine.Parse(arguments) is not ({ } brain, null)
                || brain.Environment != environment || brain.NatsUrl != natsUrl
                || ParentOf(pid) is not { } parent || IsSupervisor(parent))
            {
                continue;
            }

            strays.Add(new StrayBrain(pid, brain.Id));
        }

        return strays;
    }

    /// <summary>The brain's own arguments (after the executable, or after <c>dotnet nimmerverse-brain.dll</c>), or null for any other process.</summary>
    private static string[]? BrainArgumentsOf(int pid)
    {
        var command = CommandLineOf(pid);
        if (command is not [var first, ..])
        {
            return null;
        }

        if (Path.GetFileName(first) == Brain)
        {
            return command[1..];
        }

        return command is [_, var second, ..] && Path.GetFileName(second) == Brain + ".dll" ? command[2..] : null;
    }

    /// <summary>This process, or another supervisor (several may run on one machine, each keeping its own brains).</summary>
    private static bool IsSupervisor(int pid) =>
        pid == Environment.ProcessId || (CommandLineOf(pid) is [var first, ..] && Path.GetFileName(first) == Supervisor);

    private static string[]? CommandLineOf(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/cmdline");
            return text.Length == 0 ? null : text.TrimEnd('\0').Split('\0');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // gone meanwhile, or not ours to read
        }
    }

    /// <summary>The fourth field of <c>/proc/PID/stat</c>, after the command name in parentheses (which may hold anything).</summary>
    private static int? ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
