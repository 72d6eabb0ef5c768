using NATS.Client.Core;
using Nimmerverse.Testing;
using Nimmerverse.Testing.Brains;
using Nimmerverse.Testing.Fuzz;
using Nimmerverse.Testing.Nats;
using Nimmerverse.Testing.Postgres;

namespace Nimmerverse.EndToEnd.Tests.Faults;

/// <summary>
/// The published supervisor, with real brains, a real nats-server and a real PostgreSQL, under a
/// hostile fuzz of every subject it listens on (<see cref="HostileFuzzer"/>): nothing reaches an
/// actor as an exception, it keeps answering, its log and memory stay bounded, no durable consumer
/// is stuck, and no brain is harmed.
/// </summary>
[Category(TestTier.System)]
[NonParallelizable] // a supervisor with brains under a fuzz: its answer times are measured
public sealed class HostileInputFuzzTests
{
    private const int Brains = 3;

    [Test]
    [CancelAfter(240_000)]
    public async Task A_hostile_fuzz_of_every_subscribed_subject_is_refused_without_harm()
    {
        await Published.EnsureAsync();
        await using var nats = await NatsServer.StartAsync();
        await using var database = await PostgresTestDatabase.CreateAsync();
        await using var supervisor = SupervisorProcess.Start(SupervisorEnvironment.Local(nats.Url, database.ConnectionString,
            ("NIMMERVERSE_NPC__POPULATION", Brains.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("NIMMERVERSE_NPC__BACKEND", "none")));
        await supervisor.WaitUntilUpAsync(TimeSpan.FromSeconds(60));
        await using var client = new NatsConnection(new NatsOpts { Url = nats.Url });
        var watchers = await Task.WhenAll(Enumerable.Range(0, Brains).Select(id => NpcStateWatcher.StartAsync(client, id)));
        foreach (var watcher in watchers)
        {
            Assert.That(await watcher.WaitForAsync(_ => true, TimeSpan.FromSeconds(60)), Is.Not.Null, $"a first state from every brain\n{supervisor}");
        }

        // Here every probe must be answered at all (within 10 s), while the other suites load both
        // cores at once (one run saw a status answer take 1.6 s); the within-a-second figure is the
        // benchmark's, on a machine doing nothing else (bench/README.md: 0.9 s at worst).
        var linesBefore = supervisor.LogLines;
        var report = await FuzzRun.RunAsync(supervisor.Pid, supervisor.Http, client, () => supervisor.LogLines, count: 3000, perSecond: 500, seed: 11, population: Brains, answerWithin: TimeSpan.FromSeconds(10));
        TestContext.Out.WriteLine(report);
        // What the log said while fuzzed, by kind (numbers and ids folded), most frequent first.
        var kinds = supervisor.Log.Skip(linesBefore)
            .Select(l => System.Text.RegularExpressions.Regex.Replace(l.Length > 90 ? l[..90] : l, "[0-9a-f]{8}-[0-9a-f-]{27}|[0-9]+", "N"))
            .GroupBy(l => l).OrderByDescending(g => g.Count()).Take(8).Select(g => $"{g.Count(),5} {g.Key}");
        TestContext.Out.WriteLine("log lines by kind:\n" + string.Join('\n', kinds));

        Assert.Multiple(() =>
        {
            Assert.That(report.Sent.ByTarget, Has.Count.GreaterThanOrEqualTo(8), "every subject the supervisor listens on was fuzzed");
            Assert.That(report.RejectedByReason.Values.Sum(), Is.GreaterThan(report.Sent.Messages / 2), "most of it was refused at the door");
            Assert.That(report.Restarts, Is.Zero, "nothing hostile reached an actor as an exception");
            Assert.That(report.StoppedActors, Is.Empty);
            Assert.That(report.Unanswered, Is.Zero, $"status and math answered throughout (slowest {report.SlowestStatus}, {report.SlowestMath}; {report.FirstProbeFailure})");
            Assert.That(report.GateMessagesWaiting, Is.Zero, "no durable consumer stuck");
            // Each kind of problem is logged once, then at most once per interval: the count follows
            // the kinds (reasons by subject), not the 3000 messages.
            Assert.That(report.LogLines, Is.LessThan(200), "the log is rate-limited, not a flood");
            Assert.That(report.PeakResidentMiB - report.ResidentBeforeMiB, Is.LessThan(300), "memory stays bounded");
            Assert.That(report.BrainsKilled, Is.Zero);
        });
        for (var id = 0; id < Brains; id++)
        {
            var tick = watchers[id].Latest!.Tick;
            Assert.That(await watchers[id].WaitForAsync(s => s.Tick > tick, TimeSpan.FromSeconds(15)), Is.Not.Null, $"NPC {id} still ticks");
        }

        foreach (var watcher in watchers)
        {
            await watcher.DisposeAsync();
        }
    }
}
