using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Nimmerverse.Actors.Npc;
using Nimmerverse.Brains.Contracts;
using static Nimmerverse.Actors.Nats.NatsBridgeProtocol;

namespace Nimmerverse.Actors.Governor;

/// <summary>
/// The thalamus governor: every epoch it builds a feature vector per present NPC from its latest
/// state and its host's load, lets its policy decide (tick rate, CPU quota, LLM gate, LLM queue
/// priority), makes the decisions safe (clamped, rate-limited, fitted to each host's CPU budget),
/// actuates what changed, publishes the whole allocation, and records one decision trail per
/// NPC. The reward of each epoch (the village's outcome per CPU-second) teaches the policy about
/// the decisions of the epoch before.
/// Actuation: tick rate as an <c>npc_command</c> on <c>{env}.npc.{id}.command</c>; CPU quota to the
/// NPC host that runs the NPC (<see cref="NpcHostProtocol.SetLimits"/>, then systemd); gate as a
/// <c>gate_transition</c> on <c>{env}.thalamus.gate.open|close</c>; the allocation on
/// <c>{env}.thalamus.governor.allocate</c>.
/// </summary>
public sealed class GovernorActor : ReceiveActor, IWithTimers
{
    private readonly GovernorSettings _settings;
    private readonly IActorRef _bridge;
    private readonly Subjects _subjects;
    private readonly IGovernorPolicy _policy;
    private readonly IDecisionTrails _trails;
    private readonly Func<string, IActorRef?> _npcHostOf;
    private readonly string _hostName;
    private readonly TimeProvider _clock;
    private readonly NpcObservations _observations;
    private readonly AllocationPlanner _planner;
    private readonly MessageSource _source;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<int, NpcAllocation> _allocations = [];
    private readonly Dictionary<string, DateTimeOffset> _lastRejectionLog = new(StringComparer.Ordinal);
    private long _epoch;
    private long _limitFailures;
    private readonly HashSet<string> _limitFailureReasons = new(StringComparer.Ordinal);

    private readonly IGovernorCheckpoints? _checkpoints;

    public GovernorActor(GovernorSettings settings, IActorRef bridge, Subjects subjects, IGovernorPolicy policy, IDecisionTrails trails, Func<string, IActorRef?> npcHostOf, string hostName, TimeProvider? clock = null, IGovernorCheckpoints? checkpoints = null)
    {
        _checkpoints = checkpoints;
        _settings = settings;
        _bridge = bridge;
        _subjects = subjects;
        _policy = policy;
        _trails = trails;
        _npcHostOf = npcHostOf;
        _hostName = hostName;
        _clock = clock ?? TimeProvider.System;
        _observations = new NpcObservations(settings.KnownNpcIds, hostName);
        _planner = new AllocationPlanner(settings);
        _source = new MessageSource($"governor@{hostName}", "governor", 2);

        Receive<Inbound<NpcStateBody>>(OnState);
        Receive<Inbound<NpcLifecycleBody>>(OnLifecycle);
        Receive<GovernorProtocol.RunEpoch>(_ => RunEpoch());
        Receive<GovernorProtocol.GetStatus>(_ => Sender.Tell(new GovernorProtocol.Status(_epoch, _policy.Name, _observations.Count, new Dictionary<string, long>(_observations.Rejected), _limitFailures, new Dictionary<int, NpcAllocation>(_allocations))));
        Receive<NpcHostProtocol.LimitsSet>(OnLimitsSet);
        Receive<Subscribed>(_ => { });
        Receive<Akka.Done>(_ => { }); // a checkpoint stored, or none to restore
        Receive<Restored>(restored =>
        {
            _policy.LoadWeights(restored.Weights);
            _log.Info("Restored the {Policy} governor's weights from epoch {Epoch}", _policy.Name, restored.Epoch);
        });
        Receive<Status.Failure>(failure => _log.Warning("Governor checkpoint: {Error}", failure.Cause.GetBaseException().Message));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(GovernorSettings settings, IActorRef bridge, Subjects subjects, IGovernorPolicy policy, IDecisionTrails trails, Func<string, IActorRef?> npcHostOf, string hostName, TimeProvider? clock = null, IGovernorCheckpoints? checkpoints = null) =>
        Akka.Actor.Props.Create(() => new GovernorActor(settings, bridge, subjects, policy, trails, npcHostOf, hostName, clock, checkpoints));

    protected override void PreStart()
    {
        _bridge.Tell(new Subscribe<NpcStateBody>(SubjectPattern.Parse($"{_subjects.Environment}.npc.*.state"), Self));
        _bridge.Tell(new Subscribe<NpcLifecycleBody>(SubjectPattern.Parse($"{_subjects.Environment}.supervisor.*.npc"), Self));
        Timers.StartPeriodicTimer("epoch", GovernorProtocol.RunEpoch.Instance, _settings.Epoch);
        if (_checkpoints is { } checkpoints)
        {
            checkpoints.LatestAsync(_policy.Name, CancellationToken.None)
                .PipeTo(Self, success: latest => latest is { } found ? new Restored(found.Epoch, found.Weights) : Akka.Done.Instance);
        }
        _log.Info("Governor up on {HostName}: policy {Policy}, an epoch every {Epoch}, a host's CPU budget {Budget}%", _hostName, _policy.Name, _settings.Epoch, _settings.HostCpuBudgetPercent);
    }

    protected override void PostStop() => _policy.Dispose();

    private void OnState(Inbound<NpcStateBody> inbound)
    {
        if (_observations.Accept(inbound.Envelope.Body, _clock.GetUtcNow()) is { } problem)
        {
            // Never fed to the network; logged once a minute per reason at most.
            var now = _clock.GetUtcNow();
            if (!_lastRejectionLog.TryGetValue(problem, out var last) || now - last > TimeSpan.FromMinutes(1))
            {
                _lastRejectionLog[problem] = now;
                _log.Warning("Rejected an NPC state from {Subject}: {Reason} ({Count} so far)", inbound.Subject, problem, _observations.Rejected[problem]);
            }
        }
    }

    /// <summary>Which host runs which NPC: <c>{env}.supervisor.{host}.npc</c> says.</summary>
    private void OnLifecycle(Inbound<NpcLifecycleBody> inbound)
    {
        var tokens = inbound.Subject.Split('.');
        if (tokens.Length == 4 && inbound.Envelope.Body.Event is "spawned" or "restarted" or "adopted")
        {
            _observations.Place(inbound.Envelope.Body.NpcId, tokens[2]);
        }
    }

    private void OnLimitsSet(NpcHostProtocol.LimitsSet set)
    {
        if (!set.Applied)
        {
            // Each distinct reason once (on a host without systemd every quota is refused the same way), then counted.
            _limitFailures++;
            if (_limitFailureReasons.Add(set.Error ?? "") && _limitFailureReasons.Count <= 100)
            {
                _log.Warning("A CPU quota for NPC {NpcId} was not applied: {Error} ({Failures} so far; the same reason is not logged again)", set.NpcId, set.Error, _limitFailures);
            }
        }
    }

    private void RunEpoch()
    {
        var started = Stopwatch.GetTimestamp();
        var now = _clock.GetUtcNow();
        var present = _observations.Present(now, _settings.SilenceTimeout);
        foreach (var absent in _allocations.Keys.Where(id => present.All(p => p.NpcId != id)).ToList())
        {
            _allocations.Remove(absent);
        }

        var view = GovernorFeatures.Build(present, _allocations, _settings.HostCpuBudgetPercent, now);
        _policy.Learn(view.Reward, view.NpcRewards);
        _epoch++;
        if (present.Count == 0)
        {
            return;
        }

        var ids = present.Select(p => p.NpcId).ToList();
        var wanted = _policy.Decide(ids, view.Features, _settings.HostCpuBudgetPercent);
        var limited = wanted.Select(w => _planner.Limit(w, _allocations.TryGetValue(w.NpcId, out var p) ? p : null)).ToList();
        var planned = new Dictionary<int, NpcAllocation>();
        foreach (var host in present.Select((p, i) => (p.Observation.Host, Allocation: limited[i])).GroupBy(h => h.Host))
        {
            var (fitted, overcommitted) = AllocationPlanner.FitToBudget([.. host.Select(h => h.Allocation)], _settings.HostCpuBudgetPercent);
            if (overcommitted)
            {
                _log.Warning("Host {Host} runs {Npcs} NPCs: even at {Min}% each they exceed its budget of {Budget}%", host.Key, fitted.Count, AllocationPlanner.MinQuotaPercent, _settings.HostCpuBudgetPercent);
            }

            foreach (var allocation in fitted)
            {
                planned[allocation.NpcId] = allocation;
            }
        }

        var latencyMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        for (var i = 0; i < present.Count; i++)
        {
            var (npcId, observation) = present[i];
            var allocation = planned[npcId];
            Actuate(allocation, _allocations.TryGetValue(npcId, out var before) ? before : null, observation.Host);
            _allocations[npcId] = allocation;
            _trails.Record(new DecisionTrail(Guid.NewGuid(), _epoch, npcId, observation.Host, _policy.Name, now, view.Features[i], allocation, view.Reward, latencyMs));
        }

        _bridge.Tell(new Publish<AllocationBody>(_subjects.Allocation, new Envelope<AllocationBody>(
            MessageHeader.New<AllocationBody>(_source), new AllocationBody(_epoch, [.. ids.Select(id => planned[id])]))));
        if (_epoch % _settings.CheckpointEvery == 0 && _checkpoints is { } checkpoints && _policy.SaveWeights() is { } weights)
        {
            checkpoints.SaveAsync(Guid.NewGuid(), _epoch, _policy.Name, weights, CancellationToken.None)
                .PipeTo(Self, success: () => Akka.Done.Instance);
        }
    }

    private sealed record Restored(long Epoch, byte[] Weights);

    /// <summary>Sends only what changed: a tick rate, a quota (by at least a tenth of a percent), a gate.</summary>
    private void Actuate(NpcAllocation now, NpcAllocation? before, string host)
    {
        if (before is null || Math.Abs(now.TickRateHz - before.TickRateHz) >= 0.01)
        {
            _bridge.Tell(new Publish<NpcCommandBody>(_subjects.NpcCommand(now.NpcId), new Envelope<NpcCommandBody>(
                MessageHeader.New<NpcCommandBody>(_source), new NpcCommandBody("set_tick_rate", now.TickRateHz))));
        }

        if ((before is null || Math.Abs(now.CpuQuotaPercent - before.CpuQuotaPercent) >= 0.1) && _npcHostOf(host) is { } npcHost)
        {
            npcHost.Tell(new NpcHostProtocol.SetLimits(now.NpcId, new ScopeLimits(now.CpuQuotaPercent, _settings.MemoryMaxBytes, _settings.TasksMax)), Self);
        }

        // Every NPC's LLM gate starts closed.
        var wasOpen = before?.GateOpen ?? false;
        if (now.GateOpen != wasOpen)
        {
            var transition = new GateTransitionBody(
                $"governor.npc.{now.NpcId}.llm", "llm",
                wasOpen ? GateState.Open : GateState.Closed, now.GateOpen ? GateState.Open : GateState.Closed,
                now.GateOpen ? 1 : -1, 0, [], now.GateOpen ? 3 : 2);
            _bridge.Tell(new PublishDurable<GateTransitionBody>(_subjects.GateTransition(now.GateOpen), new Envelope<GateTransitionBody>(
                MessageHeader.New<GateTransitionBody>(_source), transition)));
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
