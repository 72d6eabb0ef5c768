using System.Globalization;
using Akka.TestKit;

namespace Nimmerverse.Testing.TestKit;

/// <summary>
/// Akka.TestKit's assertions expressed with NUnit, so a failed <c>ExpectMsg</c> fails the test
/// the way an <c>Assert.That</c> would (Akka.TestKit.NUnit is not served here).
/// </summary>
public sealed class NUnitAssertions : ITestKitAssertions
{
    public static readonly NUnitAssertions Instance = new();

    public void Fail(string format = "", params object[] args) => Assert.Fail(Format(format, args));

    public void AssertTrue(bool condition, string format = "", params object[] args) =>
        Assert.That(condition, Is.True, () => Format(format, args));

    public void AssertFalse(bool condition, string format = "", params object[] args) =>
        Assert.That(condition, Is.False, () => Format(format, args));

    public void AssertEqual<T>(T expected, T actual, string format = "", params object[] args) =>
        Assert.That(actual, Is.EqualTo(expected), () => Format(format, args));

    public void AssertEqual<T>(T expected, T actual, Func<T, T, bool> comparer, string format = "", params object[] args)
    {
        if (!comparer(expected, actual))
        {
            Assert.Fail($"Expected: {expected}\n  But was: {actual}\n  {Format(format, args)}");
        }
    }

    public Exception AssertThrows(Action action) => Assert.Throws(Is.InstanceOf<Exception>(), () => action())!;

    public TException AssertThrows<TException>(Action action)
        where TException : Exception => Assert.Throws<TException>(() => action())!;

    public async Task<Exception> AssertThrowsAsync(Func<Task> func) => await CatchAsync<Exception>(func).ConfigureAwait(false);

    public async Task<TException> AssertThrowsAsync<TException>(Func<Task> func)
        where TException : Exception => await CatchAsync<TException>(func).ConfigureAwait(false);

    private static async Task<TException> CatchAsync<TException>(Func<Task> func)
        where TException : Exception
    {
        try
        {
            await func().ConfigureAwait(false);
        }
        catch (TException e)
        {
            return e;
        }
        catch (Exception e)
        {
            Assert.Fail($"Expected {typeof(TException).Name} but {e.GetType().Name} was thrown: {e.Message}");
        }

        Assert.Fail($"Expected {typeof(TException).Name} but nothing was thrown");
        throw new InvalidOperationException("unreachable: Assert.Fail throws");
    }

    private static string Format(string format, object[] args) =>
        args is { Length: > 0 } ? string.Format(CultureInfo.InvariantCulture, format, args) : format;
}
