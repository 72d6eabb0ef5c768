using Microsoft.Extensions.Time.Testing;
using Nimmerverse.Actors.Organs;
using Nimmerverse.Testing;
using static Nimmerverse.Actors.Organs.CardScheduler;

namespace Nimmerverse.Actors.Tests.Organs;

/// <summary>One model per card, requests grouped by model: no thrash, no starvation, no load nobody waits for.</summary>
[Category(TestTier.Unit)]
public sealed class CardSchedulerTests
{
    private static readonly TimeSpan MinResidency = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _clock = new();

    private CardScheduler Scheduler(params string[] cards) => new(cards, MinResidency, MaxWait, _clock);

    private static Guid Ask(CardScheduler scheduler, string model)
    {
        var id = Guid.NewGuid();
        scheduler.Enqueue(id, model);
        return id;
    }

    /// <summary>Serves on the card until the decisions say otherwise; the models served, in order.</summary>
    private static List<string> ServeAll(CardScheduler scheduler, string card)
    {
        var served = new List<string>();
        while (scheduler.Decide() is [Serve serve])
        {
            served.Add(serve.Request.Model);
            scheduler.Finished(card);
        }

        return served;
    }

    [Test]
    public void A_request_loads_its_model_on_an_empty_card_and_is_served_once_it_is_loaded()
    {
        var scheduler = Scheduler("gpu0");
        var id = Ask(scheduler, "vision");

        Assert.That(scheduler.Decide(), Is.EqualTo(new Decision[] { new Load("gpu0", "vision", null) }));
        Assert.That(scheduler.Decide(), Is.Empty, "loading: nothing else to decide");
        scheduler.Loaded("gpu0");
        var serve = (Serve)scheduler.Decide().Single();
        Assert.Multiple(() =>
        {
            Assert.That(serve.Request.RequestId, Is.EqualTo(id));
            Assert.That(scheduler.Decide(), Is.Empty, "busy with it");
            Assert.That(scheduler.WaitingCount, Is.Zero);
        });
    }

    [Test]
    public void Mixed_requests_are_grouped_by_model_instead_of_switching_at_each_one()
    {
        var scheduler = Scheduler("gpu0");
        Ask(scheduler, "vision");
        scheduler.Decide();
        scheduler.Loaded("gpu0");
        foreach (var model in new[] { "speech", "vision", "speech", "vision", "vision" })
        {
            Ask(scheduler, model);
        }

        Assert.That(ServeAll(scheduler, "gpu0"), Is.EqualTo(new[] { "vision", "vision", "vision", "vision" }), "every vision request while vision is loaded");
        _clock.Advance(MinResidency);
        Assert.That(scheduler.Decide(), Is.EqualTo(new Decision[] { new Load("gpu0", "speech", "vision") }), "then one switch for both speech requests");
        scheduler.Loaded("gpu0");
        Assert.That(ServeAll(scheduler, "gpu0"), Is.EqualTo(new[] { "speech", "speech" }));
    }

    [Test]
    public void An_idle_model_keeps_its_card_for_its_minimum_residency()
    {
        var scheduler = Scheduler("gpu0");
        Ask(scheduler, "vision");
        scheduler.Decide();
        scheduler.Loaded("gpu0");
        ServeAll(scheduler, "gpu0");
        Ask(scheduler, "speech");

        _clock.Advance(MinResidency - TimeSpan.FromSeconds(1));
        Assert.That(scheduler.Decide(), Is.Empty, "vision was loaded 9 s ago");
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(scheduler.Decide(), Is.EqualTo(new Decision[] { new Load("gpu0", "speech", "vision") }));
    }

    [Test]
    public void A_model_that_waited_its_maximum_takes_the_card_from_a_busy_one()
    {
        var scheduler = Scheduler("gpu0");
        Ask(scheduler, "vision");
        scheduler.Decide();
        scheduler.Loaded("gpu0");
        Ask(scheduler, "speech");
        var served = 0;
        // A steady stream of vision requests, one every second.
        while (true)
        {
            Ask(scheduler, "vision");
            var decision = scheduler.Decide().Single();
            if (decision is Load load)
            {
                Assert.That(load, Is.EqualTo(new Load("gpu0", "speech", "vision")));
                break;
            }

            served++;
            scheduler.Finished("gpu0");
            _clock.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.That(served, Is.EqualTo((int)MaxWait.TotalSeconds), "speech waited its 30 s, no longer");
    }

    [Test]
    public void A_freshly_loaded_model_serves_once_before_a_starving_one_may_take_the_card()
    {
        // No residency and no patience: first come, first served. Two models that have both waited
        // "too long" must still make progress, not take the card from each other at every load.
        var scheduler = new CardScheduler(["gpu0"], TimeSpan.Zero, TimeSpan.FromTicks(1), _clock);
        Ask(scheduler, "vision");
        Ask(scheduler, "speech");
        Ask(scheduler, "vision");
        Assert.That(scheduler.Decide(), Is.EqualTo(new Decision[] { new Load("gpu0", "vision", null) }));
        _clock.Advance(TimeSpan.FromSeconds(1));
        scheduler.Loaded("gpu0");

        Assert.That(((Serve)scheduler.Decide().Single()).Request.Model, Is.EqualTo("vision"), "the load is paid for by one request");
        scheduler.Finished("gpu0");
        Assert.That(scheduler.Decide(), Is.EqualTo(new Decision[] { new Load("gpu0", "speech", "vision") }), "then the one that waited longest takes the card");
    }

    [Test]
    public void Two_cards_load_two_models_side_by_side_and_never_one_model_twice()
    {
        var scheduler = Scheduler("gpu0", "gpu1");
        Ask(scheduler, "vision");
        Ask(scheduler, "vision");
        Ask(scheduler, "speech");

        Assert.That(scheduler.Decide(), Is.EqualTo(new Decision[] { new Load("gpu0", "vision", null), new Load("gpu1", "speech", null) }));
        scheduler.Loaded("gpu0");
        scheduler.Loaded("gpu1");
        Assert.That(scheduler.Decide().Cast<Serve>().Select(s => (s.Card, s.Request.Model)), Is.EqualTo(new[] { ("gpu0", "vision"), ("gpu1", "speech") }));
        scheduler.Finished("gpu1");
        Assert.That(scheduler.Decide(), Is.Empty, "the second vision request waits for gpu0, not a second copy on gpu1");
        scheduler.Finished("gpu0");
        Assert.That(scheduler.Decide().Cast<Serve>().Single().Card, Is.EqualTo("gpu0"));
    }

    [Test]
    public void A_load_whose_requesters_all_gave_up_is_no_longer_wanted()
    {
        var scheduler = Scheduler("gpu0");
        var first = Ask(scheduler, "vision");
        var second = Ask(scheduler, "vision");
        scheduler.Decide();

        Assert.That(scheduler.Cancel(first), Is.True);
        Assert.That(scheduler.Wanted("vision"), Is.True, "one requester still waits");
        Assert.That(scheduler.Cancel(second), Is.True);
        Assert.That(scheduler.Wanted("vision"), Is.False, "the load can be cancelled");
        Assert.That(scheduler.Cancel(second), Is.False, "gone already");
        scheduler.Emptied("gpu0");
        Assert.That(scheduler.Occupancy["gpu0"], Is.Null);
        Assert.That(scheduler.Decide(), Is.Empty);
    }
}
