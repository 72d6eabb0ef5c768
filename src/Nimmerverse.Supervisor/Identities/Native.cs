using System.Runtime.InteropServices;

namespace Nimmerverse.Supervisor.Identities;

internal static partial class Native
{
    [LibraryImport("libc", EntryPoint = "chown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Chown(string path, int uid, int gid);
}
