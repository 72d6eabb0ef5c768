using Nimmerverse.Testing;
using Nimmerverse.Testing.TestKit;

namespace Nimmerverse.Actors.Tests.TestKit;

/// <summary>The specs' <c>AwaitAssert</c> and <c>AwaitAssertAsync</c>: an assertion that fails at first and then holds passes, as TestKit promises.</summary>
[Category(TestTier.Unit)]
public sealed class AwaitAssertSpec : AkkaSpec
{
    [Test]
    public void An_assertion_that_holds_at_the_third_attempt_passes()
    {
        var attempts = 0;

        AwaitAssert(() => Assert.That(++attempts, Is.GreaterThanOrEqualTo(3)), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(10));

        Assert.That(attempts, Is.EqualTo(3));
    }

    [Test]
    public void An_assertion_that_never_holds_fails_with_its_own_message()
    {
        var attempts = 0;
        var failure = Assert.Throws<AssertionException>(() =>
        {
            // Isolated, so that this test's own result holds only what it asserts afterwards.
            using var isolated = new NUnit.Framework.Internal.TestExecutionContext.IsolatedContext();
            AwaitAssert(() => Assert.That(++attempts, Is.Zero, "a count that never comes back to zero"), TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(20));
        });

        Assert.That(failure!.Message, Does.Contain("a count that never comes back to zero"));
        Assert.That(attempts, Is.GreaterThan(1), "it tried again before it gave up");
    }

    [Test]
    public async Task An_assertion_awaited_asynchronously_that_holds_at_the_third_attempt_passes()
    {
        var attempts = 0;

        await AwaitAssertAsync(() => Assert.That(++attempts, Is.GreaterThanOrEqualTo(3)), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(10));

        Assert.That(attempts, Is.EqualTo(3));
    }

    [Test]
    public async Task An_asynchronous_assertion_that_holds_at_the_third_attempt_passes()
    {
        var attempts = 0;

        await AwaitAssertAsync(async () =>
        {
            await Task.Yield();
            Assert.That(++attempts, Is.GreaterThanOrEqualTo(3));
        }, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(10));

        Assert.That(attempts, Is.EqualTo(3));
    }
}
