using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Thalamus;

/// <summary>Messages understood by <see cref="ThalamusActor"/>.</summary>
public static class ThalamusMessages
{
    /// <summary>Ask for every gate's state; answered with <see cref="GateStates"/>.</summary>
    public sealed record GetGates
    {
        public static readonly GetGates Instance = new();
    }

    /// <summary>The gates by domain, and how many waves were refused because there were too many domains.</summary>
    public sealed record GateStates(IReadOnlyDictionary<string, (GateState State, double Value)> Gates, long RefusedNewDomains);
}
