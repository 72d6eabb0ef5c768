using System.Runtime.InteropServices;

namespace Nimmerverse.Actors.Linux;

/// <summary>
/// poll(2) and close(2) for the raw descriptors the supervisor holds itself: pidfds of adopted
/// brains and eventfds of cgroup OOM notifications.
/// </summary>
public static partial class FileDescriptors
{
    public const short PollIn = 0x1;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;

        public readonly bool IsReadable => (Revents & PollIn) != 0;

        public static PollFd ForReading(int fd) => new() { Fd = fd, Events = PollIn };
    }

    /// <summary>poll(2) over <paramref name="fds"/>; the number ready, or -1 with the error in <see cref="Marshal.GetLastPInvokeError"/>.</summary>
    public static unsafe int Poll(Span<PollFd> fds, int timeoutMs)
    {
        fixed (PollFd* pointer = fds)
        {
            return PollNative(pointer, (nuint)fds.Length, timeoutMs);
        }
    }

    /// <summary>Whether <paramref name="fd"/> is readable now (a pidfd is once its process has ended).</summary>
    public static bool IsReadable(int fd)
    {
        Span<PollFd> one = [PollFd.ForReading(fd)];
        return Poll(one, 0) == 1 && one[0].IsReadable;
    }

    public static void Close(int fd) => _ = CloseNative(fd);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static unsafe partial int PollNative(PollFd* fds, nuint count, int timeout);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int CloseNative(int fd);
}
