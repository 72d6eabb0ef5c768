using System.Diagnostics;
using Nimmerverse.Actors.Linux;

namespace Nimmerverse.Actors.Npc;

/// <summary>
/// How an NPC's brain comes to be supervised: started as a child of this process, or adopted when
/// an earlier supervisor left it running in its scope. The seam between the NPC process actor and
/// the operating system, so specs can see exactly which processes the actor made.
/// </summary>
public interface IBrainLauncher
{
    /// <summary>
    /// Starts <paramref name="brainPath"/> as a child; <paramref name="onExit"/> is called once, on any thread,
    /// when it ends. <paramref name="standardInput"/>, when given, is written to the brain's standard
    /// input, which is then closed (a secret that must not be on disk or on a command line).
    /// </summary>
    /// <exception cref="Exception">When the process cannot be started (the actor restarts with backoff).</exception>
    BrainProcess Start(string brainPath, IReadOnlyList<string> arguments, Action<BrainProcess> onExit, string? standardInput = null);

    /// <summary>Takes hold of a running brain by its PID (a pidfd), or null when that process is gone.</summary>
    BrainProcess? Adopt(int pid);
}

/// <summary>
/// Brains as real processes, each in a session of its own, and as <paramref name="user"/> when given
/// (a user of their own, with no privilege left; see <see cref="UnixUser.SwitchArguments"/>).
/// </summary>
public sealed class ProcessBrainLauncher(UnixUser? user = null) : IBrainLauncher
{
    private const string SetSid = "/usr/bin/setsid";

    /// <summary>Brains as the supervisor's own user.</summary>
    public static readonly ProcessBrainLauncher Instance = new();

    /// <summary>Looked up once: a brain may be restarted many times.</summary>
    private static readonly bool HaveSetSid = File.Exists(SetSid);

    public BrainProcess Start(string brainPath, IReadOnlyList<string> arguments, Action<BrainProcess> onExit, string? standardInput = null)
    {
        // Each brain in a session of its own: a Ctrl-C in the supervisor's terminal reaches the
        // supervisor alone, which then stops the brains in order instead of racing them. setsid and
        // setpriv exec in place, so the PID is the brain's from the start.
        var command = new List<string>();
        if (HaveSetSid)
        {
            command.Add(SetSid);
        }

        if (user is not null)
        {
            command.AddRange(user.SwitchArguments());
        }

        command.Add(brainPath);
        command.AddRange(arguments);
        var start = new ProcessStartInfo(command[0]) { UseShellExecute = false, RedirectStandardInput = standardInput is not null };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.Start();
        if (standardInput is not null)
        {
            // A few kilobytes: the pipe takes them without waiting for the brain to read. A brain that
            // ended at once closed the pipe; its exit is reported as any other.
            try
            {
                process.StandardInput.Write(standardInput);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
            }
        }

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
