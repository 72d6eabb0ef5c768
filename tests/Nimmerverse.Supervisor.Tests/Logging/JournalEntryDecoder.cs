using System.Buffers.Binary;
using System.Text;

namespace Nimmerverse.Supervisor.Tests.Logging;

/// <summary>Decodes journald's native datagram format the way journald does, to check what the sink sends.</summary>
internal static class JournalEntryDecoder
{
    public static Dictionary<string, string> Decode(ReadOnlySpan<byte> datagram)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        while (!datagram.IsEmpty)
        {
            var lineEnd = datagram.IndexOf((byte)'\n');
            var equals = datagram.IndexOf((byte)'=');
            if (equals >= 0 && (lineEnd < 0 || equals < lineEnd))
            {
                fields[Encoding.ASCII.GetString(datagram[..equals])] = Encoding.UTF8.GetString(datagram[(equals + 1)..lineEnd]);
                datagram = datagram[(lineEnd + 1)..];
                continue;
            }

            var name = Encoding.ASCII.GetString(datagram[..lineEnd]);
            var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(datagram[(lineEnd + 1)..]);
            var valueStart = lineEnd + 1 + sizeof(ulong);
            fields[name] = Encoding.UTF8.GetString(datagram.Slice(valueStart, length));
            if (datagram[valueStart + length] != (byte)'\n')
            {
                throw new FormatException($"field {name} is not terminated by a newline");
            }

            datagram = datagram[(valueStart + length + 1)..];
        }

        return fields;
    }
}
