using System.Diagnostics;
using System.Runtime.InteropServices;
using Nimmerverse.Actors.Linux;
using Nimmerverse.Shared;

namespace Nimmerverse.Actors.Npc;

/// <summary>
/// A running brain as <see cref="NpcProcessActor"/> sees it: either its own child (started by this
/// supervisor, its exit status known) or an adopted one (found in its scope after a supervisor
/// restart: its parent is now systemd, which alone learns its exit status).
/// </summary>
public abstract class BrainProcess : IDisposable
{
    public const int SigTerm = 15;
    public const int SigKill = 9;

    public abstract int Pid { get; }

    public abstract bool IsAdopted { get; }

    /// <summary>True once the process is gone.</summary>
    public abstract bool HasExited { get; }

    /// <summary>The exit code (.NET's 128 + N for a death by signal N), or null when it is not ours to know.</summary>
    public abstract int? ExitCode { get; }

    /// <summary>Sends <paramref name="signal"/>; false when it could not be delivered (the process is gone).</summary>
    public abstract bool Signal(int signal);

    public abstract void Dispose();
}

/// <summary>A brain this supervisor started: <see cref="Process"/> reports its exit the moment it happens.</summary>
internal sealed partial class ChildBrain(Process process) : BrainProcess
{
    public override int Pid { get; } = process.Id;

    public override bool IsAdopted => false;

    private bool _disposed;

    /// <summary>Disposed only once it has exited (the actor disposes it after its exit): then it stays exited.</summary>
    public override bool HasExited => _disposed || process.HasExited;

    public override int? ExitCode => !_disposed && process.HasExited ? process.ExitCode : null;

    /// <summary>An unreaped child keeps its PID, so kill(2) cannot reach a stranger.</summary>
    public override bool Signal(int signal) => !HasExited && Signals.Send(Pid, signal);

    public override void Dispose()
    {
        _disposed = true;
        process.Dispose();
    }
}

/// <summary>
/// A brain found running in its scope, held by a pidfd (Linux 5.3+): signals and the exit check go
/// to that very process even if its PID is reused later. Not our child, so its exit is noticed by
/// polling the pidfd (it becomes readable when the process ends) and its exit status is unknown.
/// </summary>
internal sealed partial class AdoptedBrain : BrainProcess
{
    private const long SysPidfdSendSignal = 424; // the same number on every architecture (since 5.1)
    private const long SysPidfdOpen = 434;       // (since 5.3)

    private readonly int _pidfd;
    private bool _exited;

    private AdoptedBrain(int pid, int pidfd)
    {
        Pid = pid;
        _pidfd = pidfd;
    }

    public override int Pid { get; }

    public override bool IsAdopted => true;

    public override bool HasExited => _exited || (_exited = FileDescriptors.IsReadable(_pidfd));

    public override int? ExitCode => null;

    /// <summary>Opens a pidfd on <paramref name="pid"/>; null when there is no such process.</summary>
    public static AdoptedBrain? TryOpen(int pid)
    {
        var pidfd = (int)Syscall(SysPidfdOpen, pid, 0, 0, 0);
        return pidfd < 0 ? null : new AdoptedBrain(pid, pidfd);
    }

    public override bool Signal(int signal) => !HasExited && Syscall(SysPidfdSendSignal, _pidfd, signal, 0, 0) == 0; // no siginfo, no flags

    public override void Dispose() => FileDescriptors.Close(_pidfd);

    /// <summary>syscall(2) with every argument register given, so no stray value reaches a flags argument.</summary>
    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long a, long b, long c, long d);
}
