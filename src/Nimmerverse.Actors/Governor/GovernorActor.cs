using Nimmerverse.Actors.Telemetry;
using Akka.Actor;
using Akka.Event;
using Nimmerverse.Actors.Logging;
using Nimmerverse.Actors.Nats;
using Nimmerverse.Actors.Npc;
using Nimmerverse.Protocol;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;

namespace Nimmerverse.Actors.Governor;

/// <summary>
/// The thalamus governor: every epoch it builds a feature vector per present NPC from its latest
/// state and its host's load, lets its policy decide (tick rate, CPU quota, LLM gate, LLM queue
/// priority), makes the decisions safe (clamped, rate-limited, fitted to each host's CPU budget),
/// actuates what changed, publishes the whole allocation, and records one decision trail per
/// NPC. The reward of each epoch (the village's outcome per CPU-second) teaches the policy about
/// the decisions of the epoch before; it learns once the epoch's decisions are on their way.
/// Actuation: tick rate as an <c>npc_command</c> on <c>{env}.npc.{id}.command</c>; CPU quota to the
/// NPC host that runs the NPC, on whichever member of the cluster that is (<c>npcHostOf</c> finds it
/// by host name; <see cref="NpcHostMessages.SetLimits"/>, then systemd there); gate as a
/// <c>gate_transition</c> on <c>{env}.thalamus.gate.open|close</c>; the allocation on
/// <c>{env}.thalamus.governor.allocate</c>.
/// </summary>
public sealed class GovernorActor : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan ProblemLogInterval = TimeSpan.FromMinutes(1);

    /// <summary>At most one price line a minute: a fresh village's price halves and doubles every few epochs.</summary>
    private static readonly TimeSpan PriceLogInterval = TimeSpan.FromMinutes(1);

    private readonly GovernorSettings _settings;
    private readonly GovernedNpcs _npcs;
    private readonly IActorRef _bridge;
    private readonly Subjects _subjects;
    private readonly GovernorDecisions _decisions;
    private readonly IDecisionTrails _trails;
    private readonly Func<string, ICanTell?> _npcHostOf;
    private readonly string _hostName;
    private readonly TimeProvider _clock;
    private readonly IGovernorCheckpoints? _checkpoints;
    private readonly MessageSource _source;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly RateLimitedLog _problems;
    private long _limitFailures;
    private (double Price, DateTimeOffset At)? _loggedPrice;

    /// <summary>The governor; <c>newPolicy</c> makes each incarnation's own policy, since a restarted actor must not reuse the one its predecessor disposed.</summary>
    public GovernorActor(GovernorSettings settings, GovernedNpcs npcs, IActorRef bridge, Subjects subjects, Func<IGovernorPolicy> newPolicy, IDecisionTrails trails, Func<string, ICanTell?> npcHostOf, string hostName, TimeProvider? clock = null, IGovernorCheckpoints? checkpoints = null)
    {
        _settings = settings;
        _npcs = npcs;
        _bridge = bridge;
        _subjects = subjects;
        _decisions = new GovernorDecisions(settings, npcs.Citizens, newPolicy(), hostName);
        _trails = trails;
        _npcHostOf = npcHostOf;
        _hostName = hostName;
        _clock = clock ?? TimeProvider.System;
        _checkpoints = checkpoints;
        _source = new MessageSource($"governor@{hostName}", "governor", 2);
        _problems = new RateLimitedLog(_log, ProblemLogInterval, _clock);

        Receive<Inbound<NpcStateBody>>(OnState);
        Receive<Inbound<NpcLifecycleBody>>(OnLifecycle);
        Receive<Inbound<CortexTrailBody>>(OnCortexTrail);
        Receive<GovernorProtocol.RunEpoch>(_ => RunEpoch());
        Receive<GovernorProtocol.GetStatus>(_ => Sender.Tell(new GovernorProtocol.Status(
            _decisions.Epoch, Policy.Name, _decisions.Observations.Count, new Dictionary<string, long>(_decisions.Observations.Rejected), _limitFailures, new Dictionary<int, NpcAllocation>(_decisions.Allocations))));
        Receive<NpcHostMessages.LimitsSet>(OnLimitsSet);
        Receive<Subscribed>(_ => { });
        Receive<Akka.Done>(_ => { }); // a checkpoint stored, or none to restore
        Receive<Restored>(restored =>
        {
            Policy.LoadWeights(restored.Weights);
            _log.Info("Restored the {Policy} governor's weights from epoch {Epoch}", Policy.Name, restored.Epoch);
        });
        Receive<Status.Failure>(failure => _log.Warning("Governor checkpoint: {Error}", failure.Cause.GetBaseException().Message));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private IGovernorPolicy Policy => _decisions.Policy;

    public static Props Props(GovernorSettings settings, GovernedNpcs npcs, IActorRef bridge, Subjects subjects, Func<IGovernorPolicy> newPolicy, IDecisionTrails trails, Func<string, ICanTell?> npcHostOf, string hostName, TimeProvider? clock = null, IGovernorCheckpoints? checkpoints = null) =>
        Akka.Actor.Props.Create(() => new GovernorActor(settings, npcs, bridge, subjects, newPolicy, trails, npcHostOf, hostName, clock, checkpoints));

    protected override void PreStart()
    {
        _bridge.Tell(new Subscribe<NpcStateBody>(_subjects.NpcStates, Self));
        _bridge.Tell(new Subscribe<NpcLifecycleBody>(_subjects.NpcLifecycles, Self));
        _bridge.Tell(new Subscribe<CortexTrailBody>(SubjectPattern.Parse(NatsBridgeSettings.CortexTrailStreamSubjects(_subjects.Environment)), Self));
        Timers.StartPeriodicTimer("epoch", GovernorProtocol.RunEpoch.Instance, _settings.Epoch);
        _checkpoints?.LatestAsync(Policy.Name, CancellationToken.None)
            .PipeTo(Self, success: latest => latest is { } found ? new Restored(found.Epoch, found.Weights) : Akka.Done.Instance);
        _log.Info("Governor up on {HostName}: policy {Policy}, an epoch every {Epoch}, a host's CPU budget {Budget}%", _hostName, Policy.Name, _settings.Epoch, _settings.HostCpuBudgetPercent);
    }

    protected override void PostStop() => _decisions.Dispose();

    private void OnState(Inbound<NpcStateBody> inbound)
    {
        if (_decisions.Observations.Accept(inbound.Envelope.Body, _clock.GetUtcNow()) is { } problem)
        {
            // Never fed to the network.
            _problems.Warning(problem, "Rejected an NPC state from {Subject}: {Reason} ({Count} so far)", inbound.Subject, problem, _decisions.Observations.Rejected[problem]);
        }
    }

    /// <summary>
    /// Which host runs which NPC: <c>{env}.supervisor.{host}.npc</c> says; and a brain that (re)started
    /// runs on the configured settings until the governor actuates its allocation again.
    /// </summary>
    private void OnLifecycle(Inbound<NpcLifecycleBody> inbound)
    {
        var tokens = inbound.Subject.Split('.');
        if (tokens.Length == 4 && inbound.Envelope.Body.Event is "spawned" or "restarted" or "adopted")
        {
            _decisions.Observations.Place(inbound.Envelope.Body.NpcId, tokens[2]);
            _decisions.Forget(inbound.Envelope.Body.NpcId);
        }
    }

    /// <summary>
    /// The cortex gateway's trails: how deep its queue is, and when an NPC's call ended (answered or
    /// failed; a refusal never waited), what it waited and paid, toward that NPC's next features.
    /// </summary>
    private void OnCortexTrail(Inbound<CortexTrailBody> inbound)
    {
        if (inbound.Envelope.Header.Source.EntityType != Cortex.CortexGatewayActor.EntityType)
        {
            return; // the boundary's own trails: no queue of the gateway's
        }

        var trail = inbound.Envelope.Body;
        _decisions.Observations.CortexQueueDepth = trail.QueueDepth;
        if (trail.Event is CortexTrailEvents.Answered or CortexTrailEvents.Failed && CortexRequesters.NpcIdOf(trail.Requester) is { } npcId)
        {
            _decisions.Observations.CortexCall(npcId, trail.QueueMs, trail.LatencyMs, trail.LifeforceSpent);
        }
    }

    private void OnLimitsSet(NpcHostMessages.LimitsSet set)
    {
        if (!set.Applied)
        {
            // On a host without systemd every quota is refused for the same reason: logged once in a while, counted always.
            _limitFailures++;
            _problems.Warning($"limits: {set.Error}", "A CPU quota for NPC {NpcId} was not applied: {Error} ({Failures} so far)", set.NpcId, set.Error ?? "", _limitFailures);
        }
    }

    private void RunEpoch()
    {
        var now = _clock.GetUtcNow();
        var outcome = _decisions.RunEpoch(now);
        var price = Policy.Price;
        OrganismMetrics.GovernorEpoch(outcome.Reward, outcome.LatencyMs, price);
        LogPriceMove(price, outcome.Epoch, now);
        foreach (var host in outcome.OvercommittedHosts)
        {
            _log.Warning("Host {Host}'s NPCs exceed its budget of {Budget}% even at {Min}% each", host, _settings.HostCpuBudgetPercent, CpuQuotas.MinPercent);
        }

        if (outcome.Decisions.Count == 0)
        {
            _decisions.Learn();
            return;
        }

        // Each host's NPC host looked up once an epoch, not once per NPC (in a cluster, a scan of its members).
        var npcHosts = new Dictionary<string, ICanTell?>();
        foreach (var decision in outcome.Decisions)
        {
            if (!npcHosts.TryGetValue(decision.Host, out var npcHost))
            {
                npcHosts[decision.Host] = npcHost = _npcHostOf(decision.Host);
            }

            Actuate(decision.After, decision.Before, decision.Host, npcHost);
            _trails.Record(new DecisionTrail(Guid.NewGuid(), outcome.Epoch, decision.NpcId, decision.Host, Policy.Name, now, decision.Inputs, decision.After, outcome.Reward, outcome.LatencyMs, decision.Outcome, price));
        }

        _bridge.Tell(new Publish<AllocationBody>(_subjects.Allocation, Envelopes.Of(_source, new AllocationBody(outcome.Epoch, [.. outcome.Decisions.Select(d => d.After)], Policy.Name, outcome.Reward))));
        if (outcome.Epoch % _settings.CheckpointEvery == 0 && _checkpoints is { } checkpoints && Policy.SaveWeights() is { } weights)
        {
            checkpoints.SaveAsync(Guid.NewGuid(), outcome.Epoch, Policy.Name, weights, CancellationToken.None)
                .PipeTo(Self, success: () => Akka.Done.Instance);
        }

        // After the actuation: the lesson shapes the next epoch's decision, not this one's.
        _decisions.Learn();
    }

    /// <summary>
    /// Logs the price when it has doubled or halved since it was last logged, at most once per <see cref="PriceLogInterval"/>
    /// (a move within it is logged at the first epoch after, if the price is still that far off): a price that jumps
    /// turns every kind of NPC at once, and the journal should say when. Its every value is in the trails and the gauge.
    /// </summary>
    private void LogPriceMove(double? price, long epoch, DateTimeOffset at)
    {
        if (price is not { } now || (_loggedPrice is { } was && ((now <= 2 * was.Price && now >= was.Price / 2) || at - was.At < PriceLogInterval)))
        {
            return;
        }

        _log.Info("Governor price at epoch {Epoch}: {Price:G3} progress per CPU-second, was {Was}", epoch, now, _loggedPrice is { } before ? before.Price.ToString("G3", System.Globalization.CultureInfo.InvariantCulture) : "none");
        _loggedPrice = (now, at);
    }

    private sealed record Restored(long Epoch, byte[] Weights);

    /// <summary>Sends only what changed: a tick rate, a quota (by at least a tenth of a percent), a gate.</summary>
    private void Actuate(NpcAllocation now, NpcAllocation? before, string host, ICanTell? npcHost)
    {
        if (before is null || Math.Abs(now.TickRateHz - before.TickRateHz) >= 0.01)
        {
            _bridge.Tell(new Publish<NpcCommandBody>(_subjects.NpcCommand(now.NpcId), Envelopes.Of(_source, new NpcCommandBody("set_tick_rate", now.TickRateHz))));
        }

        if (before is null || Math.Abs(now.CpuQuotaPercent - before.CpuQuotaPercent) >= 0.1)
        {
            if (npcHost is not null)
            {
                npcHost.Tell(new NpcHostMessages.SetLimits(now.NpcId, new ScopeLimits(now.CpuQuotaPercent, _npcs.MemoryMaxBytes, _npcs.TasksMax)), Self);
            }
            else
            {
                _limitFailures++;
                _problems.Warning($"no-npc-host:{host}", "No NPC host for host {Host} in the cluster: the CPU quota of NPC {NpcId} waits ({Failures} quotas not applied so far)", host, now.NpcId, _limitFailures);
            }
        }

        // Every NPC's LLM gate starts closed.
        var wasOpen = before?.GateOpen ?? false;
        if (now.GateOpen != wasOpen)
        {
            var transition = new GateTransitionBody(
                $"governor.npc.{now.NpcId}.llm", "llm",
                wasOpen ? GateState.Open : GateState.Closed, now.GateOpen ? GateState.Open : GateState.Closed,
                now.GateOpen ? 1 : -1, 0, [], now.GateOpen ? 3 : 2);
            _bridge.Tell(new PublishDurable<GateTransitionBody>(_subjects.GateTransition(now.GateOpen), Envelopes.Of(_source, transition)));
        }
    }
}

/// <summary>Messages of <see cref="GovernorActor"/>.</summary>
public static class GovernorProtocol
{
    /// <summary>Run one epoch now (the epoch timer sends it; tests too).</summary>
    public sealed record RunEpoch
    {
        public static readonly RunEpoch Instance = new();
    }

    public sealed record GetStatus
    {
        public static readonly GetStatus Instance = new();
    }

    public sealed record Status(long Epoch, string Policy, int PresentNpcs, IReadOnlyDictionary<string, long> Rejected, long LimitFailures, IReadOnlyDictionary<int, NpcAllocation> Allocations);
}
