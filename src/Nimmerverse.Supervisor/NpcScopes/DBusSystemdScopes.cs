using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Nimmerverse.Actors.Npc;
using Tmds.DBus.Protocol;

namespace Nimmerverse.Supervisor.NpcScopes;

/// <summary>
/// <see cref="ISystemdScopes"/> over systemd's D-Bus API (<c>org.freedesktop.systemd1.Manager</c>),
/// with Tmds.DBus.Protocol: no <c>systemctl</c> or <c>systemd-run</c> processes. Jobs are
/// awaited through the <c>JobRemoved</c> signal, so a call returns when systemd has done it.
/// </summary>
public sealed partial class DBusSystemdScopes : ISystemdScopes
{
    public const string Slice = "nimmerverse-npcs.slice";

    private const string Systemd = "org.freedesktop.systemd1";
    private const string ManagerPath = "/org/freedesktop/systemd1";
    private const string Manager = "org.freedesktop.systemd1.Manager";

    /// <summary>Long enough for a busy host; systemd's own job timeouts are far longer.</summary>
    private static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Writes a method's arguments. <see cref="MessageWriter"/> is a struct: it must be passed on by reference, or the writes land in a copy.</summary>
    private delegate void BodyWriter(ref MessageWriter writer);

    private readonly DBusConnection _connection;
    private readonly CgroupOomWatcher _oomKills;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<string>> _jobs = new(StringComparer.Ordinal);
    private IDisposable? _jobWatch;

    private DBusSystemdScopes(DBusConnection connection, CgroupOomWatcher oomKills)
    {
        _connection = connection;
        _oomKills = oomKills;
    }

    private DBusConnection Connection => _connection;

    /// <summary>Connects to the system bus (or <paramref name="address"/>, e.g. <c>unix:path=/run/dbus/system_bus_socket</c>) and subscribes to job results.</summary>
    public static async Task<DBusSystemdScopes> ConnectAsync(string? address = null, ILogger? logger = null)
    {
        var connection = new DBusConnection(address ?? DBusAddress.System ?? throw new InvalidOperationException("no system bus address"));
        var scopes = new DBusSystemdScopes(connection, new CgroupOomWatcher(logger ?? NullLogger.Instance));
        try
        {
            await connection.ConnectAsync().ConfigureAwait(false);
            scopes._jobWatch = await connection.WatchSignalAsync(
                Systemd, ManagerPath, Manager, "JobRemoved",
                static (message, _) =>
                {
                    var reader = message.GetBodyReader();
                    reader.ReadUInt32();
                    var job = reader.ReadObjectPathAsString();
                    reader.ReadString();
                    return (Job: job, Result: reader.ReadString());
                },
                (Notification<(string Job, string Result)> removed) =>
                {
                    if (removed.HasValue && scopes._jobs.TryRemove(removed.Value.Job, out var waiting))
                    {
                        waiting.TrySetResult(removed.Value.Result);
                    }
                },
                null,
                ObserverFlags.None,
                null).ConfigureAwait(false);
            // Without Subscribe, systemd sends its signals (JobRemoved among them) to nobody.
            await scopes.CallAsync(scopes.Method("Subscribe", null, static (ref MessageWriter _) => { })).ConfigureAwait(false);
            return scopes;
        }
        catch
        {
            await scopes.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public Task StartScopeAsync(NpcScopeName unit, IReadOnlyList<int> pids, ScopeLimits limits, string description, CancellationToken cancellationToken) =>
        StartTransientScopeAsync(unit.Value, Slice, pids, limits, description, cancellationToken);

    public Task SetLimitsAsync(NpcScopeName unit, ScopeLimits limits, CancellationToken cancellationToken) =>
        CallAsync(Method("SetUnitProperties", "sba(sv)", (ref MessageWriter writer) =>
        {
            writer.WriteString(unit.Value);
            writer.WriteBool(true);
            var properties = writer.WriteArrayStart(DBusType.Struct);
            WriteLimits(ref writer, limits);
            writer.WriteArrayEnd(properties);
        }));

    public async Task<ScopeStatus?> GetStatusAsync(NpcScopeName unit, CancellationToken cancellationToken)
    {
        string path;
        try
        {
            path = await Connection.CallMethodAsync(
                Method("GetUnit", "s", (ref MessageWriter writer) => writer.WriteString(unit.Value)),
                static (message, _) => message.GetBodyReader().ReadObjectPathAsString()).ConfigureAwait(false);
        }
        catch (DBusErrorReplyException e) when (e.ErrorName == "org.freedesktop.systemd1.NoSuchUnit")
        {
            return null;
        }

        return new ScopeStatus(
            unit,
            await GetStringAsync(path, "org.freedesktop.systemd1.Unit", "ActiveState").ConfigureAwait(false),
            await GetStringAsync(path, "org.freedesktop.systemd1.Unit", "SubState").ConfigureAwait(false),
            await GetStringAsync(path, "org.freedesktop.systemd1.Scope", "Result").ConfigureAwait(false),
            await GetStringAsync(path, "org.freedesktop.systemd1.Scope", "ControlGroup").ConfigureAwait(false));
    }

    public Task<IReadOnlyList<NpcScopeName>> ListScopesAsync(CancellationToken cancellationToken) =>
        Connection.CallMethodAsync(
            Method("ListUnitsByPatterns", "asas", (ref MessageWriter writer) =>
            {
                // systemd filters by state itself: no status call per unit afterwards.
                writer.WriteArray(new[] { "active" });
                writer.WriteArray(new[] { NpcScopeName.Pattern });
            }),
            static (message, _) =>
            {
                // a(ssssssouso): name, description, load, active, sub, following, path, job id, job type, job path.
                var reader = message.GetBodyReader();
                var units = new List<NpcScopeName>();
                var end = reader.ReadArrayStart(DBusType.Struct);
                while (reader.HasNext(end))
                {
                    reader.AlignStruct();
                    var name = reader.ReadString();
                    for (var i = 0; i < 5; i++)
                    {
                        reader.ReadString();
                    }

                    reader.ReadObjectPathAsString();
                    reader.ReadUInt32();
                    reader.ReadString();
                    reader.ReadObjectPathAsString();
                    // A unit that matches the glob but not the exact form is not ours to touch.
                    if (NpcScopeName.TryParse(name, out var unit))
                    {
                        units.Add(unit);
                    }
                }

                return (IReadOnlyList<NpcScopeName>)units;
            });

    public async Task<IReadOnlyList<int>> GetProcessesAsync(NpcScopeName unit, CancellationToken cancellationToken)
    {
        try
        {
            return await Connection.CallMethodAsync(
                Method("GetUnitProcesses", "s", (ref MessageWriter writer) => writer.WriteString(unit.Value)),
                static (message, _) =>
                {
                    // a(sus): cgroup path, PID, command line.
                    var reader = message.GetBodyReader();
                    var pids = new List<int>();
                    var end = reader.ReadArrayStart(DBusType.Struct);
                    while (reader.HasNext(end))
                    {
                        reader.AlignStruct();
                        reader.ReadString();
                        pids.Add((int)reader.ReadUInt32());
                        reader.ReadString();
                    }

                    return (IReadOnlyList<int>)pids;
                }).ConfigureAwait(false);
        }
        catch (DBusErrorReplyException e) when (e.ErrorName == "org.freedesktop.systemd1.NoSuchUnit")
        {
            return [];
        }
    }

    public async Task<IDisposable> WatchStateAsync(NpcScopeName unit, Action<string> onActiveState, CancellationToken cancellationToken) =>
        await Connection.WatchPropertiesChangedAsync(
            Systemd, UnitPath(unit), "org.freedesktop.systemd1.Unit",
            static (message, _) =>
            {
                // PropertiesChanged: interface, changed properties a{sv}, invalidated names.
                var reader = message.GetBodyReader();
                reader.ReadString();
                return reader.ReadDictionaryOfStringToVariantValue().TryGetValue("ActiveState", out var state) ? state.GetString() : null;
            },
            (Notification<string?> changed) =>
            {
                if (changed.HasValue && changed.Value is { } state)
                {
                    onActiveState(state);
                }
            },
            null,
            ObserverFlags.None,
            null).ConfigureAwait(false);

    /// <summary>A unit's object path: systemd's bus label escaping, every byte but [A-Za-z0-9] as _xx.</summary>
    private static string UnitPath(NpcScopeName unit)
    {
        var path = new System.Text.StringBuilder("/org/freedesktop/systemd1/unit/");
        foreach (var c in unit.Value)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                path.Append(c);
            }
            else
            {
                path.Append('_').Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return path.ToString();
    }

    public IDisposable WatchOomKills(ScopeStatus scope, Action onOomKill) => _oomKills.Watch(scope.ControlGroup, onOomKill);

    /// <summary>
    /// Whether systemd is restarting the unit this process runs in (<c>systemctl restart</c>, an
    /// upgrade): the unit's pending job is of type <c>restart</c>. A stop, or no unit job at all
    /// (a terminal, a crash), is not a restart.
    /// </summary>
    public async Task<bool> IsOwnUnitRestartingAsync()
    {
        var unitPath = await Connection.CallMethodAsync(
            Method("GetUnitByPID", "u", (ref MessageWriter writer) => writer.WriteUInt32((uint)Environment.ProcessId)),
            static (message, _) => message.GetBodyReader().ReadObjectPathAsString()).ConfigureAwait(false);
        var jobPath = await Connection.CallMethodAsync(
            PropertyGet(unitPath, "org.freedesktop.systemd1.Unit", "Job"),
            static (message, _) =>
            {
                // A variant holding (uo): job id (0 = none) and its path.
                var reader = message.GetBodyReader();
                reader.ReadSignature();
                reader.AlignStruct();
                var id = reader.ReadUInt32();
                var path = reader.ReadObjectPathAsString();
                return id == 0 ? null : path;
            }).ConfigureAwait(false);
        return jobPath is not null && await GetStringAsync(jobPath, "org.freedesktop.systemd1.Job", "JobType").ConfigureAwait(false) == "restart";
    }

    public Task KillAsync(NpcScopeName unit, int signal, CancellationToken cancellationToken) =>
        CallAsync(Method("KillUnit", "ssi", (ref MessageWriter writer) =>
        {
            writer.WriteString(unit.Value);
            writer.WriteString("all");
            writer.WriteInt32(signal);
        }));

    public Task StopAsync(NpcScopeName unit, CancellationToken cancellationToken) =>
        RunJobAsync($"stop {unit}", Method("StopUnit", "ss", (ref MessageWriter writer) =>
        {
            writer.WriteString(unit.Value);
            writer.WriteString("replace");
        }), cancellationToken);

    public Task ResetFailedAsync(NpcScopeName unit, CancellationToken cancellationToken) =>
        CallAsync(Method("ResetFailedUnit", "s", (ref MessageWriter writer) => writer.WriteString(unit.Value)));

    public ValueTask DisposeAsync()
    {
        _jobWatch?.Dispose();
        _oomKills.Dispose();
        _connection.Dispose();
        foreach (var waiting in _jobs.Values)
        {
            waiting.TrySetCanceled();
        }

        return ValueTask.CompletedTask;
    }

    private static void WriteLimits(ref MessageWriter writer, ScopeLimits limits)
    {
        Property(ref writer, "CPUQuotaPerSecUSec");
        writer.WriteVariantUInt64(limits.CpuQuotaPerSecUSec);
        Property(ref writer, "MemoryMax");
        writer.WriteVariantUInt64((ulong)limits.MemoryMaxBytes);
        Property(ref writer, "TasksMax");
        writer.WriteVariantUInt64((ulong)limits.TasksMax);
    }

    /// <summary>Starts one <c>(sv)</c> property; its variant value follows.</summary>
    private static void Property(ref MessageWriter writer, string name)
    {
        writer.WriteStructureStart();
        writer.WriteString(name);
    }

    /// <summary>A Manager method call, its arguments written by <paramref name="body"/>.</summary>
    private MessageBuffer Method(string member, string? signature, BodyWriter body)
    {
        var writer = Connection.GetMessageWriter();
        try
        {
            writer.WriteMethodCallHeader(Systemd, ManagerPath, Manager, member, signature);
            body(ref writer);
            return writer.CreateMessage();
        }
        finally
        {
            writer.Dispose();
        }
    }

    private Task CallAsync(MessageBuffer message) => Connection.CallMethodAsync(message);

    /// <summary>Calls a method that queues a job and waits for the job's <c>JobRemoved</c>; any result but <c>done</c> is an error naming it.</summary>
    private async Task RunJobAsync(string what, MessageBuffer message, CancellationToken cancellationToken)
    {
        // The job's path is known only from the reply, and its JobRemoved may come right after:
        // the reply and the signal arrive on this one connection in order, and the watcher runs
        // on the connection's own thread, so registering here, before awaiting anything else, is in time.
        var waiting = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var job = await Connection.CallMethodAsync(message, (reply, _) =>
        {
            var path = reply.GetBodyReader().ReadObjectPathAsString();
            _jobs[path] = waiting;
            return path;
        }).ConfigureAwait(false);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(JobTimeout);
        string result;
        try
        {
            result = await waiting.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            _jobs.TryRemove(job, out _);
            throw new TimeoutException($"systemd did not finish the job to {what} ({job}) within {JobTimeout}");
        }

        if (result != "done")
        {
            throw new InvalidOperationException($"systemd could not {what}: job result '{result}'");
        }
    }

    private Task<string> GetStringAsync(string path, string @interface, string property) =>
        Connection.CallMethodAsync(PropertyGet(path, @interface, property), static (message, _) => message.GetBodyReader().ReadVariantValue().GetString());

    /// <summary><c>org.freedesktop.DBus.Properties.Get</c> of one property of the object at <paramref name="path"/>.</summary>
    private MessageBuffer PropertyGet(string path, string @interface, string property)
    {
        using var writer = Connection.GetMessageWriter();
        writer.WriteMethodCallHeader(Systemd, path, "org.freedesktop.DBus.Properties", "Get", "ss");
        writer.WriteString(@interface);
        writer.WriteString(property);
        return writer.CreateMessage();
    }
}
