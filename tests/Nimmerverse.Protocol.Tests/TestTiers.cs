using Nimmerverse.Testing;

namespace Nimmerverse.Protocol.Tests;

[Category(TestTier.Unit)]
public sealed class TestTiers : EveryFixtureHasOneTier;
