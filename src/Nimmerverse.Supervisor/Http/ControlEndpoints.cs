using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Nimmerverse.Actors.Dashboard;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Actors.Npc;
using Nimmerverse.Protocol;
using Nimmerverse.Supervisor.Configuration;
using Nimmerverse.Supervisor.Hosting;
using static Nimmerverse.Supervisor.Http.OperatorActions;

namespace Nimmerverse.Supervisor.Http;

/// <summary>
/// The operator's hands, for the operator only (<see cref="OperatorActions"/>): pause, resume, restart one NPC,
/// set its tick rate or CPU quota; have a member leave the cluster or mark it down. Each waits for the effect it
/// can see (a paused NPC reports itself paused) and says what happened. The governor decides tick rates and
/// quotas again every epoch: a rate or quota set by hand holds until then.
/// </summary>
public static class ControlEndpoints
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long an action waits to see its effect in the NPC's own state.</summary>
    private static readonly TimeSpan EffectTimeout = TimeSpan.FromSeconds(10);

    public static IEndpointRouteBuilder MapControlEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/cluster", async (ActorRegistry registry) =>
            Results.Json(await registry.Get<DashboardFeedActor>().Ask<ClusterView>(DashboardMessages.GetCluster.Instance, TimeSpan.FromSeconds(10)).ConfigureAwait(false), DashboardJsonContext.Default.ClusterView));
        endpoints.MapPost("/api/npcs/{id:int}/{action}", NpcActionAsync);
        endpoints.MapPost("/api/cluster/{action}", ClusterActionAsync);
        return endpoints;
    }

    private static async Task<IResult> NpcActionAsync(HttpContext http, int id, string action, double? hz, double? percent, OperatorActions operators, ActorRegistry registry, ActorSystem system, NimmerverseOptions options)
    {
        var target = $"npc {id}";
        var argument = action switch { "rate" => hz?.ToString(System.Globalization.CultureInfo.InvariantCulture), "quota" => percent?.ToString(System.Globalization.CultureInfo.InvariantCulture), _ => null };
        if (operators.Authorize(http.Request) is { } refusal)
        {
            return await operators.RecordAsync(http, action, target, argument, refusal).ConfigureAwait(false);
        }

        var outcome = await NpcOutcomeAsync(id, action, hz, percent, registry, system, options).ConfigureAwait(false);
        return await operators.RecordAsync(http, action, target, argument, outcome).ConfigureAwait(false);
    }

    private static async Task<Outcome> NpcOutcomeAsync(int id, string action, double? hz, double? percent, ActorRegistry registry, ActorSystem system, NimmerverseOptions options)
    {
        var problem = action switch
        {
            "pause" or "resume" or "restart" => null,
            "rate" when hz is not { } rate || rate < 1 || rate > 20 => "rate needs hz within 1..20",
            "rate" => null,
            "quota" when percent is not { } quota || quota < CpuQuotas.MinPercent || quota > CpuQuotas.MaxPercent => $"quota needs percent within {CpuQuotas.MinPercent}..{CpuQuotas.MaxPercent}",
            "quota" => null,
            _ => $"'{action}' is not an NPC action; they are pause, resume, restart, rate, quota",
        };
        if (problem is not null)
        {
            return Outcome.Refused(problem, StatusCodes.Status400BadRequest);
        }

        var feed = registry.Get<DashboardFeedActor>();
        if (await feed.Ask<object>(new DashboardMessages.GetNpc(id), TimeSpan.FromSeconds(10)).ConfigureAwait(false) is not NpcDetail detail)
        {
            return Outcome.Refused($"NPC {id} has not been heard from", StatusCodes.Status404NotFound);
        }

        if (action == "quota")
        {
            return await QuotaAsync(id, detail.Npc.Host, percent!.Value, registry, system, options).ConfigureAwait(false);
        }

        var command = action switch
        {
            "pause" => new NpcCommandBody("pause"),
            "resume" => new NpcCommandBody("resume"),
            "restart" => new NpcCommandBody("stop"),
            _ => new NpcCommandBody("set_tick_rate", hz),
        };
        var subjects = new Subjects(options.Environment);
        var source = new MessageSource($"operator@{options.HostName}", "operator", Tiers.Cortex);
        registry.Get<NatsBridgeActor>().Tell(new NatsBridgeMessages.Publish<NpcCommandBody>(subjects.NpcCommand(id), Envelopes.Of(source, command)));
        Func<NpcRow, bool>? seen = action switch
        {
            "pause" => npc => npc.State == "paused",
            "resume" => npc => npc.State == "running",
            "rate" => npc => Math.Abs(npc.TickRateHz - hz!.Value) < 0.01,
            _ => null,
        };
        if (seen is null)
        {
            return Outcome.Done($"NPC {id} was told to stop; it checkpoints and exits, and its host starts it again");
        }

        var deadline = DateTime.UtcNow + EffectTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await feed.Ask<object>(new DashboardMessages.GetNpc(id), AskTimeout).ConfigureAwait(false) is NpcDetail now && now.Npc.LastSeen > detail.Npc.LastSeen && seen(now.Npc))
            {
                return Outcome.Done($"NPC {id}: {action} {(hz is { } rate ? $"{rate} Hz " : "")}done; it reports {now.Npc.State} at {now.Npc.TickRateHz:0.##} Hz");
            }

            await Task.Delay(200).ConfigureAwait(false);
        }

        return Outcome.Failed($"NPC {id} was sent {command.Command} but did not report it within {EffectTimeout.TotalSeconds:0} s");
    }

    private static async Task<Outcome> QuotaAsync(int id, string? host, double percent, ActorRegistry registry, ActorSystem system, NimmerverseOptions options)
    {
        var npcHosts = new ClusterNpcHosts(system, options.HostName, () => registry.TryGet<NpcHostActor>(out var local) ? local : null);
        if (host is null || npcHosts.Find(host) is not { } npcHost)
        {
            return Outcome.Failed($"NPC {id}'s host {host ?? "(unknown)"} has no NPC host in the cluster now");
        }

        var limits = options.Npc.Limits with { CpuQuotaPercent = percent };
        var set = npcHost switch
        {
            IActorRef actor => await actor.Ask<NpcHostMessages.LimitsSet>(new NpcHostMessages.SetLimits(id, limits), AskTimeout).ConfigureAwait(false),
            ActorSelection selection => await selection.Ask<NpcHostMessages.LimitsSet>(new NpcHostMessages.SetLimits(id, limits), AskTimeout).ConfigureAwait(false),
            _ => throw new InvalidOperationException($"unexpected NPC host {npcHost}"),
        };
        return set.Applied
            ? Outcome.Done($"NPC {id}: CPU quota {percent}% applied on {host} (until the governor's next epoch decides again)")
            : Outcome.Refused($"NPC {id}: CPU quota not applied: {set.Error}", StatusCodes.Status409Conflict);
    }

    private static async Task<IResult> ClusterActionAsync(HttpContext http, string action, string? address, OperatorActions operators, ActorSystem system)
    {
        var target = address ?? "(none)";
        if (operators.Authorize(http.Request) is { } refusal)
        {
            return await operators.RecordAsync(http, action, target, null, refusal).ConfigureAwait(false);
        }

        var cluster = Cluster.Get(system);
        var member = cluster.State.Members.FirstOrDefault(m => m.Address.ToString() == address);
        var outcome = (action, member) switch
        {
            (not ("leave" or "down"), _) => Outcome.Refused($"'{action}' is not a cluster action; they are leave, down", StatusCodes.Status400BadRequest),
            (_, null) => Outcome.Refused($"'{target}' is not a member (nimmerverse cluster members lists them)", StatusCodes.Status404NotFound),
            ("leave", _) => Leave(cluster, member),
            _ => Down(cluster, member),
        };
        return await operators.RecordAsync(http, action, target, null, outcome).ConfigureAwait(false);
    }

    private static Outcome Leave(Cluster cluster, Member member)
    {
        cluster.Leave(member.Address);
        return Outcome.Done($"{member.Address} was asked to leave the cluster; its singletons move to the next oldest member");
    }

    private static Outcome Down(Cluster cluster, Member member)
    {
        cluster.Down(member.Address);
        return Outcome.Done($"{member.Address} was marked down; it cannot come back without a restart");
    }
}
