using Nimmerverse.Testing;

namespace Nimmerverse.Organs.Tests;

[Category(TestTier.Unit)]
public sealed class TestTiers : EveryFixtureHasOneTier;
