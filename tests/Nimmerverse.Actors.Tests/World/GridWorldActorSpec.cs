using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Actors.World;
using Nimmerverse.Protocol;
using Nimmerverse.Testing.TestKit;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.World;

[Category(TestTier.Unit)]
public sealed class GridWorldActorSpec : AkkaSpec
{
    private static readonly Subjects Dev = new("dev");
    private static readonly MessageSource Npc = new("npc-0", "npc", 1);

    private (Akka.TestKit.TestProbe Bridge, Akka.TestKit.TestProbe Ledger, Akka.Actor.IActorRef World) StartWorld(GridWorldSettings? settings = null)
    {
        var bridge = CreateTestProbe();
        var ledger = CreateTestProbe();
        var world = Sys.ActorOf(GridWorldActor.Props(bridge.Ref, ledger.Ref, Dev, settings ?? GridWorldSettings.Default with { Citizens = 2, OwnHomeShare = 1 }, "theia"));
        var step = bridge.ExpectMsg<Subscribe<WorldStepBody>>();
        var quiz = bridge.ExpectMsg<Subscribe<QuizQueryBody>>();
        Assert.That((step.Pattern.Value, step.QueueGroup), Is.EqualTo(("dev.world.grid.step", "nimmerverse-world")));
        Assert.That(quiz.Pattern.Value, Is.EqualTo("dev.world.grid.quiz"));
        Assert.That(bridge.ExpectMsg<Subscribe<NpcLifecycleBody>>().Pattern.Value, Is.EqualTo("dev.supervisor.*.npc"));
        return (bridge, ledger, world);
    }

    private static Inbound<TBody> Request<TBody>(string subject, TBody body)
        where TBody : IMessageBody =>
        new(subject, Envelopes.Of(Npc, body), "_INBOX.npc0");

    [Test]
    public void A_step_is_answered_on_the_reply_subject_with_the_request_as_correlation()
    {
        var (bridge, _, world) = StartWorld();
        var request = Request("dev.world.grid.step", new WorldStepBody(0));

        world.Tell(request, TestActor);

        var reply = bridge.ExpectMsg<Reply<WorldStepResultBody>>();
        Assert.That(reply.ReplyTo, Is.EqualTo("_INBOX.npc0"));
        Assert.That(reply.Envelope.Header.CorrelationId, Is.EqualTo(request.Envelope.Header.MessageId));
        Assert.That(reply.Envelope.Header.Source.EntityType, Is.EqualTo("world"));
        var observation = reply.Envelope.Body.Observation!;
        Assert.That((observation.NpcId, observation.Rows, observation.Columns, observation.Done), Is.EqualTo((0, 5, 5, false)));
        Assert.That(reply.Envelope.Body.Problem(), Is.Null);
    }

    [Test]
    public void A_step_of_a_stranger_is_answered_with_an_error()
    {
        var (bridge, _, world) = StartWorld();

        world.Tell(Request("dev.world.grid.step", new WorldStepBody(9, "N")), TestActor);

        Assert.That(bridge.ExpectMsg<Reply<WorldStepResultBody>>().Envelope.Body.Error, Does.Contain("npc 9 is not a citizen"));
    }

    [Test]
    public void The_quiz_standings_are_answered_for_everyone_or_one_citizen()
    {
        var (bridge, _, world) = StartWorld();

        world.Tell(Request("dev.world.grid.quiz", new QuizQueryBody()), TestActor);
        var all = bridge.ExpectMsg<Reply<QuizReportBody>>().Envelope.Body;
        world.Tell(Request("dev.world.grid.quiz", new QuizQueryBody(1)), TestActor);
        var one = bridge.ExpectMsg<Reply<QuizReportBody>>().Envelope.Body;

        Assert.That(all.Citizens.Select(c => c.NpcId), Is.EqualTo(new[] { 0, 1 }));
        Assert.That(all.AllPassed, Is.False);
        Assert.That(one.Citizens.Select(c => c.NpcId), Is.EqualTo(new[] { 1 }));
    }

    [Test]
    public void The_npcs_lifeforce_is_booked_to_the_ledger_once_a_second()
    {
        var (bridge, ledger, world) = StartWorld();
        world.Tell(Request("dev.world.grid.step", new WorldStepBody(0)), TestActor);
        var observation = bridge.ExpectMsg<Reply<WorldStepResultBody>>().Envelope.Body.Observation!;

        world.Tell(Request("dev.world.grid.step", new WorldStepBody(0, observation.OpenMoves[0])), TestActor);

        var spent = ledger.ExpectMsg<LifeforceLedgerMessages.Spend>(TimeSpan.FromSeconds(3));
        Assert.That(spent.Amount, Is.EqualTo(GridWorldSettings.Default.MoveCost).Within(1e-9));
        Assert.That(spent.Source, Is.EqualTo("grid@theia"));
    }

    /// <summary>A store in memory that counts its saves.</summary>
    private sealed class KeptWorld(WorldSnapshot? kept) : IWorldStore
    {
        public WorldSnapshot? Kept { get; private set; } = kept;

        public int Saves { get; private set; }

        public Task<WorldSnapshot?> LoadAsync(string environment, CancellationToken cancellationToken) => Task.FromResult(Kept);

        public Task SaveAsync(string environment, WorldSnapshot snapshot, CancellationToken cancellationToken)
        {
            (Kept, Saves) = (snapshot, Saves + 1);
            return Task.CompletedTask;
        }
    }

    [Test]
    public void With_a_store_the_world_answers_only_once_it_has_loaded_what_it_kept_and_continues_there()
    {
        var settings = GridWorldSettings.Default with { Citizens = 2, OwnHomeShare = 1, Seed = 5 };
        var kept = new GridWorld(settings).Snapshot();
        kept = kept with { Citizens = [.. kept.Citizens.Select(c => c with { Episode = 41, Rounds = 1 })] };
        var (bridge, world) = StartKeptWorld(settings, kept);

        world.Tell(Request("dev.world.grid.step", new WorldStepBody(0)), TestActor);

        var observation = bridge.FishForMessage<Reply<WorldStepResultBody>>(_ => true).Envelope.Body.Observation!;
        Assert.That(observation.Episode, Is.EqualTo(42), "episodes count on from the kept world");
    }

    [Test]
    public void Citizens_that_never_take_a_quiz_while_others_do_are_warned_of_once_until_that_changes()
    {
        var settings = GridWorldSettings.Default with { Citizens = 12, OwnHomeShare = 1, Seed = 5 };
        var kept = new GridWorld(settings).Snapshot();
        // Citizens 0-2 and 5 run and have been examined; 3, 4 and 6-11 have no brain and never were.
        int[] examined = [0, 1, 2, 5];
        kept = kept with { Citizens = [.. kept.Citizens.Select(c => examined.Contains(c.Id) ? c with { Rounds = 3, Latest = new QuizStanding(c.Id, 3, 20, 25, false) } : c)] };
        var (bridge, world) = StartKeptWorld(settings, kept);

        EventFilter.Warning(contains: "8 citizens (3-4, 6-11) have taken no quiz at level 0 while others have taken 3 rounds").ExpectOne(() =>
            world.Tell(GridWorldActor.CheckExaminations.Instance, TestActor));
        NoWarningAtTheNextCheck(bridge, world);
    }

    private (Akka.TestKit.TestProbe Bridge, Akka.Actor.IActorRef World) StartKeptWorld(GridWorldSettings settings, WorldSnapshot kept)
    {
        var bridge = CreateTestProbe();
        var world = Sys.ActorOf(GridWorldActor.Props(bridge.Ref, CreateTestProbe().Ref, Dev, settings, "theia", store: new KeptWorld(kept)));
        bridge.ExpectMsg<Subscribe<WorldStepBody>>();
        bridge.ExpectMsg<Subscribe<QuizQueryBody>>();
        bridge.ExpectMsg<Subscribe<NpcLifecycleBody>>();
        return (bridge, world);
    }

    /// <summary>A check, then a quiz query answered after it: the check is done, and warned of nothing.</summary>
    private void NoWarningAtTheNextCheck(Akka.TestKit.TestProbe bridge, Akka.Actor.IActorRef world) =>
        EventFilter.Warning().Expect(0, () =>
        {
            world.Tell(GridWorldActor.CheckExaminations.Instance, TestActor);
            world.Tell(Request("dev.world.grid.quiz", new QuizQueryBody()), TestActor);
            bridge.FishForMessage<Reply<QuizReportBody>>(_ => true);
        });

    [Test]
    public void Before_any_citizen_has_taken_two_quiz_rounds_nobody_is_warned_of()
    {
        var settings = GridWorldSettings.Default with { Citizens = 3, OwnHomeShare = 1, Seed = 5 };
        var kept = new GridWorld(settings).Snapshot();
        kept = kept with { Citizens = [.. kept.Citizens.Select(c => c.Id == 0 ? c with { Rounds = 1, Latest = new QuizStanding(0, 1, 3, 3, true) } : c)] };
        var (bridge, world) = StartKeptWorld(settings, kept);

        NoWarningAtTheNextCheck(bridge, world);
    }

    [Test]
    public void A_retired_brain_s_citizen_starts_over_for_the_newcomer_and_no_other_event_touches_its_standing()
    {
        var settings = GridWorldSettings.Default with { Citizens = 2, OwnHomeShare = 1, Seed = 5 };
        var kept = new GridWorld(settings).Snapshot();
        kept = kept with { Citizens = [.. kept.Citizens.Select(c => c with { Rounds = 2, Latest = new QuizStanding(c.Id, 2, 2, 2, true) })] };
        var (bridge, world) = StartKeptWorld(settings, kept);
        IReadOnlyList<QuizStanding> Standings()
        {
            world.Tell(Request("dev.world.grid.quiz", new QuizQueryBody()), TestActor);
            return bridge.FishForMessage<Reply<QuizReportBody>>(_ => true).Envelope.Body.Citizens;
        }

        foreach (var other in NpcLifecycleBody.Events.Where(e => e != "retired"))
        {
            world.Tell(new Inbound<NpcLifecycleBody>("dev.supervisor.theia.npc", Envelopes.Of(Npc, new NpcLifecycleBody(0, other)), null), TestActor);
        }

        Assert.That(Standings().Select(c => (c.Rounds, c.Passed)), Is.EqualTo(new[] { (2, true), (2, true) }), "a restart or a re-adoption is the same brain");
        world.Tell(new Inbound<NpcLifecycleBody>("dev.supervisor.theia.npc", Envelopes.Of(Npc, new NpcLifecycleBody(0, "retired")), null), TestActor);
        Assert.That(Standings().Select(c => (c.Rounds, c.Passed)), Is.EqualTo(new[] { (0, false), (2, true) }), "the newcomer has taken no round");
    }

    [Test]
    public void Id_ranges_run_together_what_follows_on()
    {
        Assert.That(GridWorldActor.IdRanges([3, 4, 6, 7, 8, 11]), Is.EqualTo("3-4, 6-8, 11"));
        Assert.That(GridWorldActor.IdRanges([5]), Is.EqualTo("5"));
        Assert.That(GridWorldActor.IdRanges([]), Is.Empty);
    }
}
