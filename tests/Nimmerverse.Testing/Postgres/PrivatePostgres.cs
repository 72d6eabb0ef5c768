using System.Globalization;

namespace Nimmerverse.Testing.Postgres;

/// <summary>
/// A PostgreSQL cluster of a test's own (initdb in a fresh directory, a free port, trust on
/// loopback), for tests that stop and start the server: an outage must not reach the shared
/// server the other suites use. Runs the Debian binaries as the <c>postgres</c> user.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _directory;

    private PrivatePostgres(string bin, string directory, int port)
    {
        _bin = bin;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The superuser on the <c>postgres</c> database; no pooling, so a stopped server is noticed at once.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false;Timeout=3";

    public static async Task<PrivatePostgres> StartAsync()
    {
        var bin = Directory.EnumerateDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb"))).Order().LastOrDefault()
            ?? throw new InvalidOperationException("no PostgreSQL under /usr/lib/postgresql: install postgresql (./nimmerverse test does)");
        var directory = Path.Combine(RepositoryPaths.State, "private-postgres", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        await RunAsync("chown", ["postgres:postgres", directory]).ConfigureAwait(false);
        await RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(bin, "initdb"), "-D", Path.Combine(directory, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8"]).ConfigureAwait(false);
        var server = new PrivatePostgres(bin, directory, Ports.FreeTcpPort());
        await server.StartAgainAsync().ConfigureAwait(false);
        return server;
    }

    /// <summary>Starts the stopped server again on the same port and data.</summary>
    public Task StartAgainAsync() => RunAsync("runuser", [
        "-u", "postgres", "--", Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_directory, "data"), "-l", Path.Combine(_directory, "postgres.log"), "-w",
        "-o", string.Create(CultureInfo.InvariantCulture, $"-p {Port} -k {_directory} -c listen_addresses=127.0.0.1"), "start"]);

    /// <summary>
    /// An outage on a schedule, running beside the test: the server stops after <paramref name="after"/>
    /// and starts again <paramref name="length"/> later; <paramref name="beforeRestart"/> runs just before
    /// the restart, to see what the outage did.
    /// </summary>
    public Task OutageAsync(TimeSpan after, TimeSpan length, Action? beforeRestart = null) => Task.Run(async () =>
    {
        await Task.Delay(after).ConfigureAwait(false);
        await StopAsync().ConfigureAwait(false);
        await Task.Delay(length).ConfigureAwait(false);
        beforeRestart?.Invoke();
        await StartAgainAsync().ConfigureAwait(false);
    });

    /// <summary>Stops the server (fast shutdown: open sessions are ended), as an outage would.</summary>
    public Task StopAsync() => RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_directory, "data"), "-m", "fast", "-w", "stop"]);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // already stopped
        }

        Directory.Delete(_directory, recursive: true);
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> arguments)
    {
        var result = await ProcessRunner.RunAsync(file, arguments, timeout: TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed: {result}");
        }
    }
}
