using Nimmerverse.Testing;

namespace Nimmerverse.EndToEnd.Tests;

[Category(TestTier.Unit)]
public sealed class TestTiers : EveryFixtureHasOneTier;
