using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Nimmerverse.Actors.Linux;

/// <summary>A user of this machine, as the system's user database (NSS) knows it: name, uid and primary gid.</summary>
public sealed partial record UnixUser(string Name, uint Uid, uint Gid)
{
    /// <summary>setpriv(1), util-linux: switches the user and drops privileges, then execs in place.</summary>
    public const string SetPriv = "/usr/bin/setpriv";

    /// <summary>The user this process runs as (its effective uid).</summary>
    public static uint CurrentUid => GetEffectiveUid();

    /// <summary>Whether <paramref name="name"/> is a user name: lower-case letters, digits, '_' and '-', at most 32, not starting with a digit or '-'.</summary>
    public static bool IsName(string name) => NamePattern().IsMatch(name);

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z_][a-z0-9_-]{0,31}$")]
    private static partial System.Text.RegularExpressions.Regex NamePattern();

    /// <summary>The user named <paramref name="name"/>, or null when there is none.</summary>
    public static UnixUser? Find(string name)
    {
        // struct passwd { char *pw_name; char *pw_passwd; uid_t pw_uid; gid_t pw_gid; ... } on every LP64 Linux.
        var entry = GetPasswordEntry(name);
        if (entry == IntPtr.Zero)
        {
            return null;
        }

        return new UnixUser(name, (uint)Marshal.ReadInt32(entry, 2 * IntPtr.Size), (uint)Marshal.ReadInt32(entry, (2 * IntPtr.Size) + 4));
    }

    /// <summary>
    /// The command that runs a program as this user with no privilege left: real and effective uid and
    /// gid switched, its own supplementary groups (initgroups), no inheritable capabilities, and
    /// <c>no_new_privs</c>, so neither a set-uid program nor file capabilities can lift it again. (A
    /// non-root uid has no permitted or effective capabilities after the switch.) Execs in place: the
    /// PID stays the program's.
    /// </summary>
    public IReadOnlyList<string> SwitchArguments() =>
        [SetPriv, $"--reuid={Uid}", $"--regid={Gid}", "--init-groups", "--inh-caps=-all", "--no-new-privs", "--"];

    /// <summary>
    /// Why this user cannot run the executable at <paramref name="path"/> (a folder on its way that it
    /// may not enter, the file not readable or not executable), or null when it can. Asked of the
    /// kernel by running test(1) as this user, so groups and ACLs count as they will at the start.
    /// </summary>
    public string? CannotRun(string path)
    {
        var check = new ProcessStartInfo(SetPriv) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in SwitchArguments().Skip(1))
        {
            check.ArgumentList.Add(argument);
        }

        foreach (var argument in new[] { "/usr/bin/test", "-r", path, "-a", "-x", path })
        {
            check.ArgumentList.Add(argument);
        }

        using var process = Process.Start(check)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode == 0)
        {
            return null;
        }

        return error.Length > 0
            ? $"switching to {Name} failed: {error.Trim()}"
            : $"{Name} (uid {Uid}) cannot read and execute '{path}': a folder on the way is closed to it, or the file's mode";
    }

    [LibraryImport("libc", EntryPoint = "getpwnam", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr GetPasswordEntry(string name);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUid();
}
