using Nimmerverse.Testing;

namespace Nimmerverse.Cluster.Tests;

[Category(TestTier.Unit)]
public sealed class TestTiers : EveryFixtureHasOneTier;
