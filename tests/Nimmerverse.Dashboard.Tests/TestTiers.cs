using Nimmerverse.Testing;

namespace Nimmerverse.Dashboard.Tests;

[Category(TestTier.Unit)]
public sealed class TestTiers : EveryFixtureHasOneTier;
