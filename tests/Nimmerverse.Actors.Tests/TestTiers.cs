using Nimmerverse.Testing;

namespace Nimmerverse.Actors.Tests;

[Category(TestTier.Unit)]
public sealed class TestTiers : EveryFixtureHasOneTier;
