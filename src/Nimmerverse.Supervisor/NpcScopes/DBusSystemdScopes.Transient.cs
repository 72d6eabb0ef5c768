using Nimmerverse.Actors.Npc;
using Tmds.DBus.Protocol;

namespace Nimmerverse.Supervisor.NpcScopes;

/// <summary>Transient scopes: the brains' (with their limits) and the loaded organs' (<c>StartTransientUnit</c>).</summary>
public sealed partial class DBusSystemdScopes
{
    /// <summary>The slice of the loaded organs' scopes.</summary>
    public const string OrganSlice = "nimmerverse-organs.slice";

    /// <summary>
    /// Puts a loaded organ's process in a transient scope of its own under <see cref="OrganSlice"/>,
    /// <c>nimmerverse-organ-{organ}-{pid}.scope</c> (the pid in the name: each load its own unit,
    /// so a new load never meets the last one's unit still being collected). No limits: the card is
    /// the organ's budget; the scope makes it visible and accounted (<c>systemctl status nimmerverse-organs.slice</c>).
    /// </summary>
    public Task StartOrganScopeAsync(string organ, int pid, CancellationToken cancellationToken) =>
        Nimmerverse.Protocol.OrganNames.IsKnown(organ) && pid > 0
            ? StartTransientScopeAsync(OrganScope(organ, pid), OrganSlice, [pid], null, $"Nimmerverse organ {organ}", cancellationToken)
            : throw new ArgumentException($"no organ scope for '{organ}' and pid {pid}", nameof(organ));

    /// <summary>The unit of one loaded organ.</summary>
    public static string OrganScope(string organ, int pid) => $"nimmerverse-organ-{organ}-{pid.ToString(System.Globalization.CultureInfo.InvariantCulture)}.scope";

    private Task StartTransientScopeAsync(string unit, string slice, IReadOnlyList<int> pids, ScopeLimits? limits, string description, CancellationToken cancellationToken) =>
        RunJobAsync(
            $"start {unit}",
            Method("StartTransientUnit", "ssa(sv)a(sa(sv))", (ref MessageWriter writer) =>
            {
                writer.WriteString(unit);
                writer.WriteString("fail");
                var properties = writer.WriteArrayStart(DBusType.Struct);
                Property(ref writer, "Description");
                writer.WriteVariantString(description);
                Property(ref writer, "Slice");
                writer.WriteVariantString(slice);
                Property(ref writer, "PIDs");
                writer.WriteVariant(VariantValue.Array(pids.Select(p => (uint)p).ToArray()));
                // A process that runs out of memory is killed alone; the supervisor decides about
                // restarting. CollectMode stays "inactive": a failed scope (Result=oom-kill on
                // cgroup v2) stays loaded until the supervisor has read why and reset it.
                Property(ref writer, "OOMPolicy");
                writer.WriteVariantString("kill");
                // Accounting for what systemctl status shows and the benchmarks and tests read
                // (on cgroup v1 the cpuacct hierarchy is realised only with it).
                foreach (var accounting in (ReadOnlySpan<string>)["CPUAccounting", "MemoryAccounting", "TasksAccounting"])
                {
                    Property(ref writer, accounting);
                    writer.WriteVariantBool(true);
                }

                if (limits is not null)
                {
                    WriteLimits(ref writer, limits);
                }

                writer.WriteArrayEnd(properties);
                writer.WriteArrayEnd(writer.WriteArrayStart(DBusType.Struct)); // no auxiliary units
            }),
            cancellationToken);
}
