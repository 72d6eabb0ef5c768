using System.Diagnostics;

namespace Nimmerverse.Actors.Npc;

/// <summary>
/// How an NPC's brain comes to be supervised: started as a child of this process, or adopted when
/// an earlier supervisor left it running in its scope. The seam between the NPC process actor and
/// the operating system, so specs can see exactly which processes the actor made.
/// </summary>
public interface IBrainLauncher
{
    /// <summary>Starts <paramref name="brainPath"/> as a child; <paramref name="onExit"/> is called once, on any thread, when it ends.</summary>
    /// <exception cref="Exception">When the process cannot be started (the actor restarts with backoff).</exception>
    BrainProcess Start(string brainPath, IReadOnlyList<string> arguments, Action<BrainProcess> onExit);

    /// <summary>Takes hold of a running brain by its PID (a pidfd), or null when that process is gone.</summary>
    BrainProcess? Adopt(int pid);
}

/// <summary>Brains as real processes, each in a session of its own.</summary>
public sealed class ProcessBrainLauncher : IBrainLauncher
{
    private const string SetSid = "/usr/bin/setsid";

    public static readonly ProcessBrainLauncher Instance = new();

    /// <summary>Looked up once: a brain may be restarted many times.</summary>
    private static readonly bool HaveSetSid = File.Exists(SetSid);

    public BrainProcess Start(string brainPath, IReadOnlyList<string> arguments, Action<BrainProcess> onExit)
    {
        // Each brain in a session of its own (setsid execs in place, so the PID stays the brain's):
        // a Ctrl-C in the supervisor's terminal reaches the supervisor alone, which then stops the
        // brains in order instead of racing them.
        var start = new ProcessStartInfo(HaveSetSid ? SetSid : brainPath) { UseShellExecute = false };
        if (HaveSetSid)
        {
            start.ArgumentList.Add(brainPath);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.Start();
        var brain = new ChildBrain(process);
        process.Exited += (_, _) => onExit(brain);
        if (process.HasExited)
        {
            onExit(brain); // it may have ended before the handler was there; the actor ignores a second report
        }

        return brain;
    }

    public BrainProcess? Adopt(int pid) => AdoptedBrain.TryOpen(pid);
}
