namespace Nimmerverse.Actors.Npc;

/// <summary>Messages of <see cref="NpcHostActor"/> and <see cref="NpcProcessActor"/>.</summary>
public static class NpcHostMessages
{
    /// <summary>
    /// Stop every brain gracefully (SIGTERM, time to checkpoint, then SIGKILL); answered with
    /// <see cref="AllStopped"/>. With <paramref name="LeaveScopedBrainsRunning"/> (systemd is
    /// restarting the supervisor) brains in their scopes are told to checkpoint and left running
    /// for the next supervisor to adopt; only brains without a scope are stopped.
    /// </summary>
    public sealed record StopAll(bool LeaveScopedBrainsRunning = false)
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

    /// <summary>From an NPC process actor to its host: the brain stopped itself, its lease lapsed; it is not restarted.</summary>
    public sealed record LeaseLapsed(int NpcId);

    /// <summary>To one NPC process actor: checkpoint and keep running in the scope for the next supervisor (a brain without a scope is stopped); answered with <see cref="Stopped"/>.</summary>
    public sealed record LeaveRunning
    {
        public static readonly LeaveRunning Instance = new();
    }

    /// <summary>
    /// The governor's actuation of one NPC's CPU and memory: applied to the running scope at once
    /// (systemd, runtime only) and kept for the brain's next start. Answered with <see cref="LimitsSet"/>.
    /// </summary>
    public sealed record SetLimits(int NpcId, ScopeLimits Limits);

    /// <summary>Whether <see cref="SetLimits"/> reached systemd; <paramref name="Error"/> says why not (no systemd backend, no such NPC, D-Bus failed).</summary>
    public sealed record LimitsSet(int NpcId, bool Applied, string? Error = null);

    /// <summary>The governor's actuation of one NPC's tick rate: an <c>npc_command</c> <c>set_tick_rate</c> on <c>{env}.npc.{id}.command</c>.</summary>
    public sealed record SetTickRate(int NpcId, double TickRateHz);

    /// <summary>Which NPCs this host runs; answered with <see cref="HostedNpcs"/> (the dashboard asks every NPC host when it starts listening).</summary>
    public sealed record GetNpcs
    {
        public static readonly GetNpcs Instance = new();
    }

    public sealed record HostedNpcs(string Host, IReadOnlyList<int> NpcIds);
}
