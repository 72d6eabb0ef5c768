using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.TestKit;
using NUnit.Framework.Internal;

namespace Nimmerverse.Testing.TestKit;

/// <summary>
/// Base class for NUnit actor specs. NUnit makes one fixture instance for all its tests, so
/// each test gets a fresh ActorSystem in <c>[SetUp]</c> and loses it in <c>[TearDown]</c>;
/// nothing one test leaves behind (actors, timers, dead letters) reaches the next.
/// </summary>
public abstract class AkkaSpec : TestKitBase
{
    private readonly Config? _config;

    /// <param name="config">HOCON for every test of the fixture, over the test kit's defaults.</param>
    protected AkkaSpec(Config? config = null)
        : base(NUnitAssertions.Instance, config ?? Config.Empty)
    {
        _config = config;
        // TestKitBase always builds a system in its constructor; per-test systems replace it.
        Shutdown();
    }

    protected AkkaSpec(string hocon)
        : this(ConfigurationFactory.ParseString(hocon))
    {
    }

    [SetUp]
    public void InitializeActorSystem()
    {
        var setup = ActorSystemSetup.Empty.WithSetup(BootstrapSetup.Create().WithConfig(_config ?? Config.Empty));
        InitializeTest(null, setup, SystemName(), null);
    }

    [TearDown]
    public void ShutdownActorSystem() => Shutdown(verifySystemShutdown: VerifySystemShutdown);

    /// <summary>
    /// Whether a test fails when its system does not terminate in time. A spec that wedges an
    /// actor on purpose turns this off: a blocked actor can never process its stop.
    /// </summary>
    protected virtual bool VerifySystemShutdown => true;

    /// <summary>
    /// TestKit's <c>AwaitAssert</c>, each attempt in an isolated NUnit context. NUnit records a failed
    /// <c>Assert.That</c> in the test's result before it throws, so an early attempt that failed would
    /// fail the test even though a later one held (it did, on a loaded machine, about one run in ten);
    /// isolated, only the last attempt's failure, thrown out of here, counts.
    /// </summary>
    public new void AwaitAssert(Action assertion, TimeSpan? duration = null, TimeSpan? interval = null, CancellationToken cancellationToken = default) =>
        base.AwaitAssert(Isolated(assertion), duration, interval, cancellationToken);

    /// <summary>TestKit's <c>AwaitAssertAsync</c>, each attempt isolated as in <see cref="AwaitAssert"/>.</summary>
    public new Task AwaitAssertAsync(Action assertion, TimeSpan? duration = null, TimeSpan? interval = null, CancellationToken cancellationToken = default) =>
        base.AwaitAssertAsync(Isolated(assertion), duration, interval, cancellationToken);

    /// <summary>TestKit's <c>AwaitAssertAsync</c> of an asynchronous assertion, each attempt isolated as in <see cref="AwaitAssert"/>.</summary>
    public new Task AwaitAssertAsync(Func<Task> assertion, TimeSpan? duration = null, TimeSpan? interval = null, CancellationToken cancellationToken = default) =>
        base.AwaitAssertAsync(
            async () =>
            {
                using var isolated = new TestExecutionContext.IsolatedContext();
                await assertion().ConfigureAwait(false);
            },
            duration,
            interval,
            cancellationToken);

    private static Action Isolated(Action assertion) => () =>
    {
        using var isolated = new TestExecutionContext.IsolatedContext();
        assertion();
    };

    /// <summary>Named after the test, so dead-letter and log lines say which test they came from.</summary>
    private static string SystemName()
    {
        var name = new string(TestContext.CurrentContext.Test.MethodName?.Where(char.IsAsciiLetterOrDigit).ToArray() ?? []);
        return name.Length == 0 ? "spec" : name;
    }
}
