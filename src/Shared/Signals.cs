using System.Runtime.InteropServices;

namespace Nimmerverse.Shared;

/// <summary>kill(2), for a process the caller started itself (an unreaped child keeps its PID, so a signal cannot reach a stranger).</summary>
internal static partial class Signals
{
    public const int Term = 15;
    public const int Kill = 9;

    /// <summary>Whether <paramref name="signal"/> was delivered.</summary>
    public static bool Send(int pid, int signal) => SendSignal(pid, signal) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
