using System.Reflection;

namespace Nimmerverse.Testing;

/// <summary>
/// The test tiers, as NUnit categories on every fixture. <c>./nimmerverse test --fast</c> runs
/// <see cref="Unit"/> only; <c>./nimmerverse test</c> (what CI runs) runs all three.
/// </summary>
public static class TestTier
{
    /// <summary>Nothing beyond this process: in-memory actor systems, temporary files, child processes of its own.</summary>
    public const string Unit = "Unit";

    /// <summary>The private nats-server and PostgreSQL of <c>./nimmerverse test</c>, Akka remoting, or real learning brains.</summary>
    public const string Integration = "Integration";

    /// <summary>A real systemd as PID 1 in namespaces, with the daemon installed into it.</summary>
    public const string System = "System";

    public static readonly IReadOnlyList<string> All = [Unit, Integration, System];

    /// <summary>Fixtures of <paramref name="assembly"/> with tests that do not carry exactly one tier.</summary>
    public static IEnumerable<string> FixturesWithoutOneTier(Assembly assembly) =>
        from type in assembly.GetTypes()
        where !type.IsAbstract && type.GetMethods().Any(IsTest)
        let tiers = type.GetCustomAttributes<CategoryAttribute>(inherit: true).Select(c => c.Name).Where(All.Contains).ToList()
        where tiers.Count != 1
        select $"{type.FullName}: {(tiers.Count == 0 ? "no tier" : string.Join(", ", tiers))}";

    private static bool IsTest(MethodInfo method) =>
        method.GetCustomAttributes<TestAttribute>().Any() || method.GetCustomAttributes<TestCaseAttribute>().Any()
        || method.GetCustomAttributes<TestCaseSourceAttribute>().Any();
}

/// <summary>Derive one fixture per test assembly from this: it fails when a fixture has no tier or two.</summary>
public abstract class EveryFixtureHasOneTier
{
    [Test]
    public void Every_fixture_of_this_assembly_carries_exactly_one_tier() =>
        Assert.That(TestTier.FixturesWithoutOneTier(GetType().Assembly), Is.Empty);
}
