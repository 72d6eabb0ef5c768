using Microsoft.Extensions.Logging;
using Nimmerverse.Actors.Npc;

namespace Nimmerverse.Supervisor.NpcScopes;

/// <summary>
/// How this host runs its brains: <c>systemd</c> (each in a transient scope with its CPU and memory
/// limits, over D-Bus) or <c>none</c> (plain child processes, limits not enforced). Chosen once at
/// start: <c>Npc:Backend</c> <c>auto</c> takes systemd when it is the init system and its bus answers.
/// </summary>
public sealed record NpcBackend(string Name, DBusSystemdScopes? Scopes, string Reason)
{
    public const string Systemd = NpcHostSettings.SystemdBackend;
    public const string None = NpcHostSettings.NoBackend;
    public const string Auto = NpcHostSettings.AutoBackend;

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Selects the backend; a configured <c>systemd</c> that cannot be reached is an error (the daemon must not run brains without the limits it was told to enforce).</summary>
    public static async Task<NpcBackend> SelectAsync(NpcHostSettings options, ILogger logger)
    {
        if (options.Backend == None)
        {
            return Warn(new NpcBackend(None, null, "Npc:Backend is none"), logger);
        }

        if (options.Backend == Auto && !Directory.Exists("/run/systemd/system"))
        {
            return Warn(new NpcBackend(None, null, "systemd is not the init system here (no /run/systemd/system)"), logger);
        }

        try
        {
            var scopes = await DBusSystemdScopes.ConnectAsync(options.SystemBus, logger).WaitAsync(ConnectTimeout).ConfigureAwait(false);
            logger.LogInformation("NPC brains run in systemd scopes under {Slice} (bus {Bus})", DBusSystemdScopes.Slice, options.SystemBus ?? "system");
            return new NpcBackend(Systemd, scopes, $"systemd answers on {options.SystemBus ?? "the system bus"}");
        }
        catch (Exception e) when (options.Backend == Auto)
        {
            return Warn(new NpcBackend(None, null, $"systemd's bus did not answer ({e.GetType().Name}: {e.Message})"), logger);
        }
    }

    /// <summary>
    /// Whether systemd is restarting this supervisor's unit right now: then brains in their scopes
    /// are left running for the next supervisor. Any doubt (no systemd, D-Bus failing, a plain
    /// stop) answers false, and the brains are stopped as usual.
    /// </summary>
    public async Task<bool> IsSupervisorRestartingAsync(Action<string> warn)
    {
        if (Scopes is null)
        {
            return false;
        }

        try
        {
            return await Scopes.IsOwnUnitRestartingAsync().WaitAsync(ConnectTimeout).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            warn($"Could not ask systemd whether it is restarting the supervisor ({e.GetType().Name}: {e.Message}); stopping the brains");
            return false;
        }
    }

    private static NpcBackend Warn(NpcBackend backend, ILogger logger)
    {
        logger.LogWarning(
            "NPC brains run as plain child processes WITHOUT CPU or memory limits: {Reason}. Set Npc:Backend to systemd where limits must hold",
            backend.Reason);
        return backend;
    }
}
