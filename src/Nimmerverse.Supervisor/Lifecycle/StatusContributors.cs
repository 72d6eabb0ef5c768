using Akka.Actor;
using Akka.Cluster;
using NATS.Client.Core;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Actors.Supervision;
using Nimmerverse.Supervisor.NpcScopes;
using Nimmerverse.Supervisor.Persistence;

namespace Nimmerverse.Supervisor.Lifecycle;

/// <summary>"cluster: 3 members (3 up)" from this node's view of the membership.</summary>
public sealed class ClusterStatusContributor(IServiceProvider services) : IStatusContributor
{
    public int Order => 0;

    public string Describe()
    {
        if (services.GetService(typeof(ActorSystem)) is not ActorSystem system)
        {
            return "cluster: starting";
        }

        var state = Cluster.Get(system).State;
        var members = state.Members.Count;
        var up = state.Members.Count(m => m.Status == MemberStatus.Up);
        var unreachable = state.Unreachable.Count;
        var text = $"cluster: {members} member{(members == 1 ? "" : "s")} ({up} up";
        return unreachable > 0 ? $"{text}, {unreachable} unreachable)" : text + ")";
    }
}

/// <summary>"nats: open, 12 rejected" in systemd's STATUS= line.</summary>
public sealed class NatsStatusContributor(INatsConnection connection, BridgeCounters counters) : IStatusContributor
{
    public int Order => 10;

    public string Describe()
    {
        var stats = counters.Snapshot();
        var text = $"nats: {connection.ConnectionState.ToString().ToLowerInvariant()}";
        if (stats.RejectedTotal > 0)
        {
            text += $", {stats.RejectedTotal} rejected";
        }

        if (stats.DroppedTotal > 0)
        {
            text += $", {stats.DroppedTotal} dropped";
        }

        if (stats.PermissionViolationsTotal > 0)
        {
            text += $", {stats.PermissionViolationsTotal} permission violations";
        }

        return text;
    }
}

/// <summary>"npcs: systemd" or "npcs: none (no limits)" in systemd's STATUS= line.</summary>
public sealed class NpcBackendStatusContributor(NpcBackend backend) : IStatusContributor
{
    public int Order => 20;

    public string Describe() => backend.Scopes is null ? $"npcs: {backend.Name} (no limits)" : $"npcs: {backend.Name}";
}

/// <summary>"trails: ok", "trails: spooling N (…)" or "trails: SPOOL FULL, N lost" in systemd's STATUS= line.</summary>
public sealed class TrailsStatusContributor(DecisionTrailRecorder recorder) : IStatusContributor
{
    public int Order => 30;

    public string Describe() => recorder.Describe();
}

/// <summary>"actors: 3 restarts, STOPPED /user/nerve-collision" in systemd's STATUS= line; nothing while no actor has failed.</summary>
public sealed class SupervisionStatusContributor(SupervisionCounters counters) : IStatusContributor
{
    public int Order => 5;

    public string? Describe()
    {
        var stats = counters.Snapshot();
        if (stats.Restarts == 0 && stats.Stopped.Count == 0)
        {
            return null;
        }

        var text = $"actors: {stats.Restarts} restart{(stats.Restarts == 1 ? "" : "s")}";
        return stats.Stopped.Count == 0 ? text : $"{text}, STOPPED {string.Join(' ', stats.Stopped.Select(s => s.Path))}";
    }
}

/// <summary>"cortex: breaker closed, 2 queued, 1 in flight, 40 answered, 3 refused" in systemd's STATUS= line.</summary>
public sealed class CortexStatusContributor(Nimmerverse.Actors.Cortex.CortexGauges gauges) : IStatusContributor
{
    public int Order => 25;

    public string Describe()
    {
        if (gauges.Latest is not { } status)
        {
            return "cortex: starting";
        }

        var breaker = status.Breaker switch
        {
            Nimmerverse.Actors.Cortex.BreakerState.Open => "BREAKER OPEN",
            Nimmerverse.Actors.Cortex.BreakerState.HalfOpen => "breaker half-open",
            _ => "breaker closed",
        };
        var text = $"cortex: {breaker}, {status.Queued} queued, {status.InFlight} in flight, {status.Answered} answered";
        var (refused, failed) = (status.Refused.Values.Sum(), status.Failed.Values.Sum());
        if (refused > 0)
        {
            text += $", {refused} refused";
        }

        return failed > 0 ? $"{text}, {failed} failed" : text;
    }
}

/// <summary>"organs: vision processing on card 0 (2 in hand), 12 answered, 1 refused" in systemd's STATUS= line: the organs loaded or asked for.</summary>
public sealed class OrganStatusContributor(Nimmerverse.Actors.Organs.OrganGauges gauges) : IStatusContributor
{
    public int Order => 26;

    public string Describe()
    {
        if (gauges.Latest is not { } status)
        {
            return "organs: starting";
        }

        var loaded = status.Organs.Where(o => o.Value.State != Nimmerverse.Protocol.OrganStates.Idle || o.Value.InHand > 0)
            .Select(o => $"{o.Key} {o.Value.State}{(o.Value.Card is null ? "" : $" on card {o.Value.Card}")}{(o.Value.InHand > 0 ? $" ({o.Value.InHand} in hand)" : "")}").ToList();
        var text = $"organs: {(loaded.Count == 0 ? "none loaded" : string.Join(", ", loaded))}, {status.Organs.Values.Sum(o => o.Answered)} answered";
        var (refused, failed) = (status.Refused.Values.Sum(), status.Failed.Values.Sum());
        if (refused > 0)
        {
            text += $", {refused} refused";
        }

        return failed > 0 ? $"{text}, {failed} failed" : text;
    }
}
