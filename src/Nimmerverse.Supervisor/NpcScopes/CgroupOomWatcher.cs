using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Nimmerverse.Actors.Linux;

namespace Nimmerverse.Supervisor.NpcScopes;

/// <summary>
/// OOM kills in NPC scopes on cgroup v1, where systemd cannot see them (it reads <c>memory.events</c>,
/// which exists on v2 only, so an OOM-killed scope ends with <c>Result=success</c>). Uses the v1
/// memory controller's own notification: an eventfd registered through <c>cgroup.event_control</c>
/// against <c>memory.oom_control</c> is signalled when the cgroup runs out of memory, and once
/// more when the cgroup is removed. A signal while the cgroup still exists is therefore an OOM;
/// one after it is gone ends the watch. One thread polls every registered eventfd.
/// On cgroup v2 the watcher does nothing: systemd reports <c>Result=oom-kill</c> itself.
/// </summary>
public sealed partial class CgroupOomWatcher : IDisposable
{
    private const string CgroupRoot = "/sys/fs/cgroup";
    private const int EfdCloexec = 0x80000;
    private const int Eintr = 4;

    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<int, Registration> _watches = new();

    /// <summary>Closed by the poller only, after it stopped polling them, so no number is reused under it.</summary>
    private readonly ConcurrentQueue<int> _toClose = new();
    private readonly int _wake;
    private readonly Thread? _thread;
    private volatile bool _disposed;

    public CgroupOomWatcher(ILogger logger)
    {
        _logger = logger;
        IsNeeded = !File.Exists(Path.Combine(CgroupRoot, "cgroup.controllers")) && Directory.Exists(Path.Combine(CgroupRoot, "memory"));
        if (!IsNeeded)
        {
            _wake = -1;
            return;
        }

        _wake = EventFd(0, EfdCloexec);
        if (_wake < 0)
        {
            throw new IOException($"eventfd failed: errno {Marshal.GetLastPInvokeError()}");
        }

        _thread = new Thread(Run) { IsBackground = true, Name = "cgroup-oom-watcher" };
        _thread.Start();
    }

    /// <summary>True on cgroup v1 (a separate memory hierarchy), where OOM kills must be watched here.</summary>
    public bool IsNeeded { get; }

    /// <summary>Registers for OOM notifications of <paramref name="controlGroup"/> (systemd's <c>ControlGroup</c>, e.g. <c>/nimmerverse.slice/…/nimmerverse-npc-7.scope</c>).</summary>
    public IDisposable Watch(string controlGroup, Action onOomKill)
    {
        if (!IsNeeded || _disposed)
        {
            return NoWatch.Instance;
        }

        var directory = CgroupRoot + "/memory" + controlGroup;
        var eventFd = EventFd(0, EfdCloexec);
        if (eventFd < 0)
        {
            throw new IOException($"eventfd failed: errno {Marshal.GetLastPInvokeError()}");
        }

        try
        {
            // The kernel keeps its own reference to the cgroup; the control file may be closed right after.
            using (var control = File.OpenHandle(Path.Combine(directory, "memory.oom_control")))
            {
                File.WriteAllText(Path.Combine(directory, "cgroup.event_control"), string.Create(CultureInfo.InvariantCulture, $"{eventFd} {control.DangerousGetHandle()}"));
            }
        }
        catch
        {
            Close(eventFd);
            throw;
        }

        var watch = new Registration(this, eventFd, directory, onOomKill);
        _watches[eventFd] = watch;
        WakePoller();
        // A brain that allocates at once can be killed before the watch is in place (its scope is
        // made, then watched); the cgroup's own count of OOM kills tells. A kill in between may be
        // reported twice: the actor reports one per brain.
        if (OomKillsSoFar(directory) > 0)
        {
            onOomKill();
        }

        return watch;
    }

    /// <summary>The <c>oom_kill</c> count of <c>memory.oom_control</c> (kernels since 4.13), 0 where it cannot be read.</summary>
    private static long OomKillsSoFar(string directory)
    {
        try
        {
            var line = File.ReadLines(Path.Combine(directory, "memory.oom_control")).FirstOrDefault(l => l.StartsWith("oom_kill ", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line["oom_kill ".Length..], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    public void Dispose()
    {
        if (!IsNeeded || _disposed)
        {
            return;
        }

        _disposed = true;
        WakePoller();
        _thread?.Join(TimeSpan.FromSeconds(2));
        foreach (var watch in _watches.Values)
        {
            watch.Dispose();
        }

        while (_toClose.TryDequeue(out var fd))
        {
            Close(fd);
        }

        Close(_wake);
    }

    private void WakePoller()
    {
        ulong one = 1;
        _ = Write(_wake, ref one, sizeof(ulong));
    }

    private void Run()
    {
        while (!_disposed)
        {
            while (_toClose.TryDequeue(out var fd))
            {
                Close(fd);
            }

            var watches = _watches.Values.ToArray();
            var fds = new FileDescriptors.PollFd[watches.Length + 1];
            fds[0] = FileDescriptors.PollFd.ForReading(_wake);
            for (var i = 0; i < watches.Length; i++)
            {
                fds[i + 1] = FileDescriptors.PollFd.ForReading(watches[i].EventFd);
            }

            var ready = FileDescriptors.Poll(fds, -1);

            if (ready < 0)
            {
                if (Marshal.GetLastPInvokeError() != Eintr)
                {
                    _logger.LogError("poll on the cgroup OOM notifications failed: errno {Errno}; OOM kills will show only as SIGKILL", Marshal.GetLastPInvokeError());
                    return;
                }

                continue;
            }

            if (fds[0].IsReadable)
            {
                _ = Read(_wake, out _, sizeof(ulong));
            }

            for (var i = 0; i < watches.Length; i++)
            {
                if (fds[i + 1].IsReadable)
                {
                    watches[i].Signalled();
                }
            }
        }
    }

    private static void Close(int fd) => FileDescriptors.Close(fd);

    private sealed class Registration(CgroupOomWatcher owner, int eventFd, string directory, Action onOomKill) : IDisposable
    {
        private int _closed;

        public int EventFd { get; } = eventFd;

        /// <summary>
        /// On the poller's thread: an OOM while the cgroup exists, its removal once it is gone. The
        /// cgroup is looked for before the count is read: a brain killed by the OOM killer can be gone,
        /// its cgroup removed, before this thread runs; the count then holds both signals.
        /// </summary>
        public void Signalled()
        {
            var existed = File.Exists(Path.Combine(directory, "memory.oom_control"));
            _ = Read(EventFd, out var signals, sizeof(ulong));
            if (existed || signals > 1)
            {
                owner._logger.LogDebug("OOM in {ControlGroup}", directory);
                ThreadPool.QueueUserWorkItem(_ => onOomKill());
            }

            if (!existed)
            {
                Dispose();
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0 && owner._watches.TryRemove(EventFd, out _))
            {
                owner._toClose.Enqueue(EventFd);
                owner.WakePoller();
            }
        }
    }

    private sealed class NoWatch : IDisposable
    {
        public static readonly NoWatch Instance = new();

        public void Dispose()
        {
        }
    }

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    private static partial int EventFd(uint initial, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, out ulong value, nint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int fd, ref ulong value, nint count);

}
