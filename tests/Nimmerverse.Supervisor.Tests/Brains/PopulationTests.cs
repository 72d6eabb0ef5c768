using System.Globalization;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Brains;

namespace Nimmerverse.Supervisor.Tests.Brains;

/// <summary>The supervisor runs its configured population as child processes and stops them gracefully with itself.</summary>
[Category(TestTier.Integration)]
[Parallelizable(ParallelScope.Self)]
public sealed class PopulationTests
{
    [Test]
    public async Task The_supervisor_starts_its_population_and_each_brain_checkpoints_when_it_stops()
    {
        await using var world = await BrainWorld.StartAsync(
            ("NIMMERVERSE_NPC__POPULATION", "2"),
            ("NIMMERVERSE_NPC__TICKRATEHZ", "10"),
            ("NIMMERVERSE_NPC__BRAINPATH", RepositoryPaths.BrainExecutable));
        await using var first = await NpcStateWatcher.StartAsync(world.Client, 0);
        await using var second = await NpcStateWatcher.StartAsync(world.Client, 1);

        Assert.That(await first.WaitForAsync(s => s.Steps >= 5, TimeSpan.FromSeconds(30)), Is.Not.Null, "NPC 0 lives");
        Assert.That(await second.WaitForAsync(s => s.Steps >= 5, TimeSpan.FromSeconds(30)), Is.Not.Null, "NPC 1 lives");
        var brains = BrainPids(world.Nats.Url);
        Assert.That(brains, Has.Count.EqualTo(2), "two brain processes are children of this process");

        await world.App.StopAsync();

        Assert.That(brains.Where(pid => Directory.Exists($"/proc/{pid}")), Is.Empty, "the brains stopped with the supervisor");
        Assert.That(await world.CheckpointsOfAsync(0), Is.GreaterThanOrEqualTo(1), "NPC 0 handed over its weights on SIGTERM");
        Assert.That(await world.CheckpointsOfAsync(1), Is.GreaterThanOrEqualTo(1), "NPC 1 handed over its weights on SIGTERM");
    }

    /// <summary>Children of this test process that run nimmerverse-brain against this test's NATS (other fixtures run brains too).</summary>
    private static List<int> BrainPids(string natsUrl)
    {
        var self = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[1] == self && File.ReadAllText(Path.Combine(dir, "cmdline")) is var cmdline && cmdline.Contains("nimmerverse-brain", StringComparison.Ordinal) && cmdline.Contains(natsUrl, StringComparison.Ordinal))
                {
                    pids.Add(pid);
                }
            }
            catch (IOException)
            {
                // gone meanwhile
            }
        }

        return pids;
    }
}
