using Nimmerverse.Testing;
using Nimmerverse.Testing.Brains;

namespace Nimmerverse.Supervisor.Tests.Brains;

/// <summary>
/// A real brain in a world that levels up quickly (one citizen on a 2x2 grid, a quiz after every five
/// errands): its success rate and its quiz standing start afresh at the new level, so the governor sees what
/// it does there rather than the old level's successes leaving its window one by one.
/// </summary>
[Category(TestTier.Integration)]
[Parallelizable(ParallelScope.Self)]
public sealed class BrainLevelUpTests
{
    [Test]
    [CancelAfter(180_000)]
    public async Task After_a_level_up_the_success_rate_and_the_quiz_standing_are_of_the_new_level_only()
    {
        await using var world = await BrainWorld.StartAsync(
            ("NIMMERVERSE_WORLD__CITIZENS", "1"),
            ("NIMMERVERSE_WORLD__ROWS", "2"),
            ("NIMMERVERSE_WORLD__COLUMNS", "2"),
            ("NIMMERVERSE_WORLD__MAXLEVEL", "1"),
            ("NIMMERVERSE_WORLD__QUIZEVERY", "5"));
        await using var watcher = await NpcStateWatcher.StartAsync(world.Client, 0);
        await using var brain = BrainProcess.Start(0, world.Nats.Url, 20);

        Assert.That(await watcher.WaitForAsync(s => s.Level == 1 && s.SuccessErrands >= 3, TimeSpan.FromSeconds(90)), Is.Not.Null, $"no level-up, or no errands counted after it\n{brain}");
        var states = watcher.States.Select(s => s.State).ToList();
        var firstOnNewLevel = states.FindIndex(s => s.Level == 1);
        Assert.Multiple(() =>
        {
            // Five errands at least before the first quiz: the old level's window held them.
            Assert.That(states.Take(firstOnNewLevel).Max(s => s.SuccessErrands), Is.GreaterThanOrEqualTo(5), brain.ToString());
            Assert.That(states[firstOnNewLevel].SuccessErrands, Is.LessThanOrEqualTo(1), "the window starts empty at the new level");
            // The only citizen levels the world up the moment it passes, so at level 0 no round it reports was passed.
            Assert.That(states.Take(firstOnNewLevel).Where(s => s.QuizPassed is not null).Select(s => s.QuizPassed), Is.All.False);
            Assert.That(states[firstOnNewLevel].QuizPassed, Is.Null, "the standings start over at the new level");
        });

        // Level 1 is the last: the rounds there are reported as they come.
        Assert.That(await watcher.WaitForAsync(s => s.Level == 1 && s.QuizPassed is not null, TimeSpan.FromSeconds(60)), Is.Not.Null, $"no quiz round reported at level 1\n{brain}");
    }
}
