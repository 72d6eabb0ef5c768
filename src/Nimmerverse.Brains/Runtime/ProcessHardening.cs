using System.Runtime.InteropServices;

namespace Nimmerverse.Brains.Runtime;

/// <summary>What a brain does to itself before it holds a secret.</summary>
public static partial class ProcessHardening
{
    private const int PrSetDumpable = 4;

    /// <summary>
    /// Clears the process's dumpable flag: its <c>/proc/PID</c> files (memory, descriptors, environment)
    /// become root's, and no process of the same user may ptrace it (the kernel requires the target
    /// to be dumpable for that). A brain runs as the one user all brains of a host share, so this is what
    /// keeps one NPC's credentials from another. A failure is logged, not fatal.
    /// </summary>
    public static void MakeUndumpable(BrainLog log)
    {
        if (Prctl(PrSetDumpable, 0, 0, 0, 0) != 0)
        {
            log.Warning($"could not clear the dumpable flag (errno {Marshal.GetLastPInvokeError()}); other processes of this user could read this brain's memory");
        }
    }

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int Prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);
}
