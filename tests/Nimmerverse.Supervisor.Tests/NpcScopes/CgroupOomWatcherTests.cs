using Microsoft.Extensions.Logging.Abstractions;
using Nimmerverse.Supervisor.NpcScopes;
using Nimmerverse.Testing;

namespace Nimmerverse.Supervisor.Tests.NpcScopes;

/// <summary>
/// The cgroup v1 OOM watcher against the kernel itself: a memory cgroup of the test's own under
/// the host's hierarchy (root, cgroup v1 as on the lab's hosts), a process that joins it, and the
/// kernel's OOM killer or a plain SIGKILL.
/// </summary>
[Category(TestTier.Unit)]
public sealed class CgroupOomWatcherTests
{
    private const string MemoryRoot = "/sys/fs/cgroup/memory";

    /// <summary>A bash that grows past the cgroup's 16 MiB: it keeps a command substitution's 100 MB in its own memory.</summary>
    private const string Hog = "x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo ${#x}";

    private string _controlGroup = "";
    private string _directory = "";
    private CgroupOomWatcher _watcher = null!;

    [SetUp]
    public void SetUp()
    {
        _watcher = new CgroupOomWatcher(NullLogger.Instance);
        Assert.That(_watcher.IsNeeded, Is.True, "these hosts run cgroup v1, where the supervisor must watch OOM kills itself");
        _controlGroup = $"/nimmerverse-oom-test-{Guid.NewGuid():N}";
        _directory = MemoryRoot + _controlGroup;
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Path.Combine(_directory, "memory.limit_in_bytes"), (16 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [TearDown]
    public void TearDown()
    {
        _watcher.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory);
        }
    }

    /// <summary>Runs <paramref name="then"/> in a bash that first moves itself into the test's cgroup; returns how it ended.</summary>
    private async Task<int> RunInCgroupAsync(string then) =>
        (await ProcessRunner.RunAsync("bash", ["-c", $"echo $$ > {Path.Combine(_directory, "cgroup.procs")} && {then}"], timeout: TimeSpan.FromSeconds(30))).ExitCode;

    [Test]
    public async Task An_oom_kill_in_the_watched_cgroup_is_reported_and_its_removal_is_not()
    {
        var reports = 0;
        using var watch = _watcher.Watch(_controlGroup, () => Interlocked.Increment(ref reports));

        var exitCode = await RunInCgroupAsync(Hog);

        Assert.That(exitCode, Is.Not.Zero, "the 16 MiB limit stops the allocation");
        Assert.That(await Eventually.TrueAsync(() => Task.FromResult(Volatile.Read(ref reports) > 0), TimeSpan.FromSeconds(5)), Is.True, "the kill is reported");
        await Task.Delay(500); // the kernel may kill twice in one episode (a child first): each is a report
        var beforeRemoval = Volatile.Read(ref reports);
        Directory.Delete(_directory);
        await Task.Delay(500);
        Assert.That(Volatile.Read(ref reports), Is.EqualTo(beforeRemoval), "the cgroup's removal is not a kill");
    }

    [Test]
    public async Task A_plain_sigkill_is_not_an_oom_kill()
    {
        var reports = 0;
        using var watch = _watcher.Watch(_controlGroup, () => Interlocked.Increment(ref reports));

        var exitCode = await RunInCgroupAsync("kill -9 $$");
        Directory.Delete(_directory);
        await Task.Delay(500);

        Assert.That(exitCode, Is.EqualTo(137), "killed by signal 9");
        Assert.That(Volatile.Read(ref reports), Is.Zero);
    }

    [Test]
    public async Task A_kill_before_the_watch_is_told_by_the_cgroups_own_count_while_it_exists()
    {
        await RunInCgroupAsync(Hog);
        var reports = 0;

        using var watch = _watcher.Watch(_controlGroup, () => Interlocked.Increment(ref reports));

        Assert.That(Volatile.Read(ref reports), Is.GreaterThanOrEqualTo(1));
    }
}
