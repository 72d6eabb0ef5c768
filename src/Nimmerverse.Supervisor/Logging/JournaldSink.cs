using System.Net.Sockets;
using System.Runtime.InteropServices;
using Serilog.Core;
using Serilog.Events;

namespace Nimmerverse.Supervisor.Logging;

/// <summary>
/// Writes Serilog events to journald over its native protocol, one datagram per entry, with every
/// property as a field (<c>journalctl -u nimmerverse NPC_ID=7</c>). Entries too large for a
/// datagram go through a sealed memfd passed over the socket, as sd_journal_send does, so long
/// stack traces are never cut. If journald cannot be reached the entry goes to the fallback
/// writer instead of being lost; <see cref="FailedSends"/> counts those.
/// </summary>
public sealed partial class JournaldSink : ILogEventSink, IDisposable
{
    private readonly Socket _socket;
    private readonly IReadOnlyList<KeyValuePair<string, string>> _fixedFields;
    private readonly ILogEventSink _fallback;
    private long _failedSends;

    /// <param name="socketPath">journald's native socket, normally <c>/run/systemd/journal/socket</c>.</param>
    /// <param name="fixedFields">Fields added to every entry (<c>SYSLOG_IDENTIFIER</c>, <c>NIMMERVERSE_ENV</c>...).</param>
    /// <param name="fallback">Where an entry goes when journald does not take it.</param>
    public JournaldSink(string socketPath, IReadOnlyList<KeyValuePair<string, string>> fixedFields, ILogEventSink fallback)
    {
        _fixedFields = fixedFields;
        _fallback = fallback;
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        // The default send buffer, as sd-journal keeps it: ordinary entries fit a datagram and
        // anything larger (EMSGSIZE) takes the memfd path rather than growing kernel buffers.
        _socket.Connect(new UnixDomainSocketEndPoint(socketPath));
    }

    /// <summary>Entries journald refused or could not be reached for (they went to the fallback).</summary>
    public long FailedSends => Interlocked.Read(ref _failedSends);

    public void Emit(LogEvent logEvent)
    {
        var entry = BuildEntry(logEvent);
        try
        {
            Send(entry);
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            Interlocked.Increment(ref _failedSends);
            _fallback.Emit(logEvent);
        }
    }

    internal MemoryStream BuildEntry(LogEvent logEvent)
    {
        var entry = new MemoryStream(512);
        var message = JournalFields.RenderMessage(logEvent);
        if (logEvent.Exception is { } exception)
        {
            message = message + "\n" + exception;
            JournalFields.Append(entry, "EXCEPTION", exception.ToString());
            JournalFields.Append(entry, "EXCEPTION_TYPE", exception.GetType().FullName ?? exception.GetType().Name);
        }

        JournalFields.Append(entry, "MESSAGE", message);
        JournalFields.Append(entry, "PRIORITY", JournalFields.Priority(logEvent.Level).ToString(System.Globalization.CultureInfo.InvariantCulture));
        JournalFields.Append(entry, "MESSAGE_TEMPLATE", logEvent.MessageTemplate.Text);
        foreach (var (name, value) in _fixedFields)
        {
            JournalFields.Append(entry, name, value);
        }

        foreach (var (name, value) in logEvent.Properties)
        {
            var field = JournalFields.ToFieldName(name);
            if (JournalFields.Reserved.Contains(field))
            {
                field += "_PROPERTY";
            }

            JournalFields.Append(entry, field, JournalFields.Render(value));
        }

        return entry;
    }

    private void Send(MemoryStream entry)
    {
        var bytes = entry.GetBuffer().AsSpan(0, (int)entry.Length);
        try
        {
            _socket.Send(bytes);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.MessageSize or SocketError.NoBufferSpaceAvailable)
        {
            SendThroughMemfd(bytes);
        }
    }

    private unsafe void SendThroughMemfd(ReadOnlySpan<byte> entry)
    {
        var fd = MemfdCreate("nimmerverse-journal-entry", MfdCloexec | MfdAllowSealing);
        if (fd < 0)
        {
            throw new IOException($"memfd_create failed: errno {Marshal.GetLastPInvokeError()}");
        }

        try
        {
            fixed (byte* data = entry)
            {
                for (var written = 0; written < entry.Length;)
                {
                    var n = Write(fd, data + written, entry.Length - written);
                    if (n <= 0)
                    {
                        throw new IOException($"writing the journal memfd failed: errno {Marshal.GetLastPInvokeError()}");
                    }

                    written += (int)n;
                }
            }

            // journald only maps a memfd that can no longer change under it.
            if (Fcntl(fd, FAddSeals, FSealSeal | FSealShrink | FSealGrow | FSealWrite) < 0)
            {
                throw new IOException($"sealing the journal memfd failed: errno {Marshal.GetLastPInvokeError()}");
            }

            // One control message carrying the descriptor (SCM_RIGHTS) and no payload bytes.
            const int controlLength = 24; // CMSG_SPACE(sizeof(int)) on 64-bit Linux
            var control = stackalloc byte[controlLength];
            new Span<byte>(control, controlLength).Clear();
            *(ulong*)control = 20; // cmsg_len = CMSG_LEN(sizeof(int))
            *(int*)(control + 8) = SolSocket;
            *(int*)(control + 12) = ScmRights;
            *(int*)(control + 16) = fd;
            var header = new MessageHeader { Control = control, ControlLength = controlLength };
            if (SendMessage((int)_socket.Handle, &header, 0) < 0)
            {
                throw new IOException($"sending the journal memfd failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
        finally
        {
            Close(fd);
        }
    }

    public void Dispose() => _socket.Dispose();

    private const uint MfdCloexec = 1;
    private const uint MfdAllowSealing = 2;
    private const int FAddSeals = 1033;
    private const int FSealSeal = 1;
    private const int FSealShrink = 2;
    private const int FSealGrow = 4;
    private const int FSealWrite = 8;
    private const int SolSocket = 1;
    private const int ScmRights = 1;

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public void* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [LibraryImport("libc", EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MemfdCreate(string name, uint flags);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static unsafe partial nint SendMessage(int socket, MessageHeader* message, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
