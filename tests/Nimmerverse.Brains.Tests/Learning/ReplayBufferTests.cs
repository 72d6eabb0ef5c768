using Nimmerverse.Brains.Learning;
using Nimmerverse.Testing;

namespace Nimmerverse.Brains.Tests.Learning;

/// <summary>The replay memory keeps observations as bits and gives back exactly what it was given.</summary>
[Category(TestTier.Unit)]
public sealed class ReplayBufferTests
{
    private const int Inputs = 70;

    [Test]
    public void A_sampled_transition_is_the_one_kept_bit_for_bit_and_an_ended_episode_opens_every_next_move()
    {
        var replay = new ReplayBuffer(capacity: 1, Inputs);
        var (state, next) = (new float[Inputs], new float[Inputs]);
        foreach (var i in new[] { 0, 5, 63, 64, 69 })
        {
            state[i] = 1;
        }

        next[1] = next[66] = 1;
        var batch = new DqnBatch(2, Inputs, 4);

        replay.Add(new Transition(state, 2, -0.25f, next, [true, false, false, true], Done: false));
        replay.SampleInto(new Random(1), batch, 1);

        Assert.That(batch.States[Inputs..], Is.EqualTo(state));
        Assert.That(batch.Nexts[Inputs..], Is.EqualTo(next));
        Assert.That((batch.Actions[1], batch.Rewards[1], batch.NotDone[1]), Is.EqualTo((2, -0.25f, 1f)));
        Assert.That(batch.NextOpen[4..], Is.EqualTo(new[] { true, false, false, true }));

        replay.Add(new Transition(next, 0, 1, state, [false, false, true, false], Done: true));
        replay.SampleInto(new Random(1), batch, 0);

        Assert.That(batch.States[..Inputs], Is.EqualTo(next), "a full ring overwrites its oldest");
        Assert.That(batch.NotDone[0], Is.Zero);
        Assert.That(batch.NextOpen[..4], Is.All.True);
    }

    [Test]
    public void An_observation_that_is_not_binary_is_refused_with_the_input_named()
    {
        var replay = new ReplayBuffer(4, Inputs);
        var state = new float[Inputs];
        state[7] = 0.5f;

        Assert.That(() => replay.Add(new Transition(state, 0, 0, new float[Inputs], [true, true, true, true], false)), Throws.ArgumentException.With.Message.Contains("input 7 is 0.5"));
        Assert.That(replay.Count, Is.Zero);
    }
}
