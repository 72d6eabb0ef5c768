using Nimmerverse.Testing;

namespace Nimmerverse.Supervisor.Tests;

[Category(TestTier.Unit)]
public sealed class TestTiers : EveryFixtureHasOneTier;
