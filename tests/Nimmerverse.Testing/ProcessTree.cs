using System.Globalization;

namespace Nimmerverse.Testing;

/// <summary>What <c>/proc</c> says about a supervisor process: its brains and its memory.</summary>
public static class ProcessTree
{
    /// <summary>
    /// The child processes of <paramref name="pid"/> that run <c>nimmerverse-brain</c>, by NPC id (from <c>--id</c>);
    /// none once <paramref name="pid"/> has ended (a supervisor that exits while it is looked at).
    /// </summary>
    public static IReadOnlyDictionary<int, int> BrainsOf(int pid)
    {
        var brains = new Dictionary<int, int>();
        string[] tasks;
        try
        {
            tasks = Directory.GetDirectories($"/proc/{pid}/task");
        }
        catch (IOException)
        {
            return brains;
        }

        foreach (var task in tasks)
        {
            string children;
            try
            {
                children = File.ReadAllText(Path.Combine(task, "children"));
            }
            catch (IOException)
            {
                continue;
            }

            foreach (var child in children.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse))
            {
                if (NpcIdOf(child) is { } id)
                {
                    brains[id] = child;
                }
            }
        }

        return brains;
    }

    /// <summary>
    /// Every running <c>nimmerverse-brain</c> on this machine that talks to <paramref name="natsUrl"/>, whoever its parent
    /// (an orphan too): NPC id to its PIDs. Two PIDs for one id are a twin.
    /// </summary>
    public static IReadOnlyDictionary<int, IReadOnlyList<int>> BrainsOnBus(string natsUrl)
    {
        var brains = new Dictionary<int, List<int>>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || !IsRunning(pid))
            {
                continue;
            }

            try
            {
                if (NpcIdOf(pid) is { } id && File.ReadAllText($"/proc/{pid}/cmdline").Contains(natsUrl.TrimEnd('/'), StringComparison.Ordinal))
                {
                    (brains.TryGetValue(id, out var pids) ? pids : brains[id] = []).Add(pid);
                }
            }
            catch (IOException)
            {
                // it ended meanwhile
            }
        }

        return brains.ToDictionary(b => b.Key, b => (IReadOnlyList<int>)b.Value);
    }

    /// <summary>Whether <paramref name="pid"/> still runs (a zombie nobody reaped does not count).</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            return !File.ReadLines($"/proc/{pid}/status").Any(l => l.StartsWith("State:", StringComparison.Ordinal) && l.Contains("zombie", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Resident memory now, in MiB (<c>VmRSS</c>).</summary>
    public static double ResidentMiB(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }

    /// <summary>Its parent's PID (<c>PPid</c>), or null once it has ended.</summary>
    public static int? ParentOf(int pid)
    {
        try
        {
            return File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith("PPid:", StringComparison.Ordinal))
                .Select(l => int.Parse(l.AsSpan(5).Trim(), CultureInfo.InvariantCulture)).FirstOrDefault();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static int? NpcIdOf(int pid)
    {
        try
        {
            var arguments = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            var at = Array.IndexOf(arguments, "--id");
            return arguments.Any(a => a.EndsWith("nimmerverse-brain", StringComparison.Ordinal) || a.EndsWith("nimmerverse-brain.dll", StringComparison.Ordinal)) && at >= 0 && at + 1 < arguments.Length
                ? int.Parse(arguments[at + 1], CultureInfo.InvariantCulture)
                : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
