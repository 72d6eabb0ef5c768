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

    /// <summary>To one NPC process actor: SIGTERM its brain, SIGKILL after the stop timeout, no restart; answered with <see cref="Stopped"/>.</summary>
    public sealed record StopGracefully
    {
        public static readonly StopGracefully Instance = new();
    }

    public sealed record Stopped(int NpcId);

    /// <summary>
    /// The governor's actuation of one NPC's CPU and memory: applied to the running scope at once
    /// (systemd, runtime only) and kept for the brain's next start. Answered with <see cref="LimitsSet"/>.
    /// </summary>
    public sealed record SetLimits(int NpcId, ScopeLimits Limits);

    /// <summary>Whether <see cref="SetLimits"/> reached systemd; <paramref name="Error"/> says why not (no systemd backend, no such NPC, D-Bus failed).</summary>
    public sealed record LimitsSet(int NpcId, bool Applied, string? Error = null);

    /// <summary>The governor's actuation of one NPC's tick rate: an <c>npc_command</c> <c>set_tick_rate</c> on <c>{env}.npc.{id}.command</c>.</summary>
    public sealed record SetTickRate(int NpcId, double TickRateHz);
}
