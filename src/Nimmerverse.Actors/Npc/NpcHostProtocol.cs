namespace Nimmerverse.Actors.Npc;

/// <summary>Messages of <see cref="NpcHostActor"/> and <see cref="NpcProcessActor"/>.</summary>
public static class NpcHostProtocol
{
    /// <summary>Stop every brain gracefully (SIGTERM, time to checkpoint, then SIGKILL); answered with <see cref="AllStopped"/>.</summary>
    public sealed record StopAll
    {
        public static readonly StopAll Instance = new();
    }

    public sealed record AllStopped(int Count);

    /// <summary>Ask for the brains' processes; answered with <see cref="Population"/>.</summary>
    public sealed record GetPopulation
    {
        public static readonly GetPopulation Instance = new();
    }

    /// <summary>One brain process: its id, PID (null while not running), starts so far and last exit code.</summary>
    public sealed record NpcProcessInfo(int NpcId, int? Pid, int Starts, int? LastExitCode);

    public sealed record Population(IReadOnlyList<NpcProcessInfo> Npcs);

    /// <summary>To one NPC process actor: SIGTERM its brain, SIGKILL after the stop timeout, no restart; answered with <see cref="Stopped"/>.</summary>
    public sealed record StopGracefully
    {
        public static readonly StopGracefully Instance = new();
    }

    public sealed record Stopped(int NpcId);

    internal sealed record GetInfo
    {
        public static readonly GetInfo Instance = new();
    }
}
