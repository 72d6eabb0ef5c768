using Nimmerverse.Testing;

namespace Nimmerverse.Brains.Tests;

[Category(TestTier.Unit)]
public sealed class TestTiers : EveryFixtureHasOneTier;
