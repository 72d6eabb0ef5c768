namespace Nimmerverse.Supervisor.Identities;

/// <summary>Files that hold a secret (a seed, a creds file): mode 0400, written whole or not at all.</summary>
public static class Secret
{
    /// <exception cref="IOException">Naming the path, when it cannot be written.</exception>
    public static void Write(string path, string content)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("secret files are written with Unix modes (Linux)");
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            Directory.CreateDirectory(directory);
            using (var stream = new FileStream(temporary, new FileStreamOptions
            {
                Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(content);
            }

            File.SetUnixFileMode(temporary, UnixFileMode.UserRead);
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temporary);
            throw new IOException($"cannot write the secret file {path}: {e.Message}", e);
        }
    }
}
