using Akka.Actor;
using Nimmerverse.Testing.TestKit;
using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests.TestKit;

/// <summary>The NUnit adapter must turn the test kit's verdicts into NUnit's, both ways.</summary>
[Category(TestTier.Unit)]
public sealed class NUnitAssertionsSpec : AkkaSpec
{
    private sealed class Echo : ReceiveActor
    {
        public Echo() => ReceiveAny(message => Sender.Tell(message));
    }

    [Test]
    public void ExpectMsg_passes_when_the_expected_message_arrives()
    {
        var echo = Sys.ActorOf(Props.Create(() => new Echo()));

        echo.Tell("hello");

        Assert.That(ExpectMsg<string>(), Is.EqualTo("hello"));
    }

    [Test]
    public void ExpectMsg_fails_the_test_when_a_different_message_arrives()
    {
        var echo = Sys.ActorOf(Props.Create(() => new Echo()));
        echo.Tell("hello");

        Assert.Throws<AssertionException>(() => ExpectMsg("goodbye", TimeSpan.FromSeconds(1)));
    }

    [Test]
    public void ExpectMsg_fails_the_test_when_nothing_arrives()
    {
        Assert.Throws<AssertionException>(() => ExpectMsg<string>(TimeSpan.FromMilliseconds(100)));
    }

    [Test]
    public void ExpectNoMsg_fails_the_test_when_a_message_arrives()
    {
        TestActor.Tell("unexpected");

        Assert.Throws<AssertionException>(() => ExpectNoMsg(TimeSpan.FromMilliseconds(200)));
    }

    [Test]
    public void AssertEqual_with_a_comparer_uses_the_comparer()
    {
        var assertions = NUnitAssertions.Instance;

        Assert.DoesNotThrow(() => assertions.AssertEqual("A", "a", (x, y) => string.Equals(x, y, StringComparison.OrdinalIgnoreCase)));
        Assert.Throws<AssertionException>(() => assertions.AssertEqual("A", "b", (x, y) => string.Equals(x, y, StringComparison.OrdinalIgnoreCase)));
    }

    [Test]
    public void AssertTrue_and_AssertFalse_format_their_message()
    {
        var assertions = NUnitAssertions.Instance;

        var failure = Assert.Throws<AssertionException>(() => assertions.AssertTrue(false, "npc {0} is {1}", 7, "lost"));
        Assert.That(failure!.Message, Does.Contain("npc 7 is lost"));
        Assert.Throws<AssertionException>(() => assertions.AssertFalse(true, "always"));
    }

    [Test]
    public async Task AssertThrowsAsync_returns_the_exception_and_fails_when_nothing_is_thrown()
    {
        var assertions = NUnitAssertions.Instance;

        var thrown = await assertions.AssertThrowsAsync<InvalidOperationException>(() => throw new InvalidOperationException("boom"));
        Assert.That(thrown.Message, Is.EqualTo("boom"));
        Assert.ThrowsAsync<AssertionException>(() => assertions.AssertThrowsAsync<InvalidOperationException>(() => Task.CompletedTask));
    }
}

/// <summary>Each test gets its own ActorSystem: nothing one test does is seen by the next.</summary>
[Category(TestTier.Unit)]
public sealed class AkkaSpecIsolationSpec : AkkaSpec
{
    private static readonly List<ActorSystem> Seen = [];

    [Test, Order(1)]
    public void First_test_creates_a_named_actor()
    {
        Seen.Add(Sys);
        var actor = Sys.ActorOf(Props.Empty, "only-once");
        Assert.That(actor.Path.Name, Is.EqualTo("only-once"));
    }

    [Test, Order(2)]
    public void Second_test_gets_a_fresh_system_where_the_name_is_free()
    {
        Seen.Add(Sys);
        Assert.DoesNotThrow(() => Sys.ActorOf(Props.Empty, "only-once"));
        Assert.That(Seen[0], Is.Not.SameAs(Seen[1]));
        Assert.That(Seen[0].WhenTerminated.IsCompleted, Is.True, "the first test's system was shut down in TearDown");
    }
}
