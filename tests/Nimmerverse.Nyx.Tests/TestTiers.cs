using Nimmerverse.Testing;

namespace Nimmerverse.Nyx.Tests;

[Category(TestTier.Unit)]
public sealed class TestTiers : EveryFixtureHasOneTier;
