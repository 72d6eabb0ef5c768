using System.Text;
using Akka.Actor;
using Akka.Event;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Actors.Logging;
using Nimmerverse.Protocol;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;

namespace Nimmerverse.Actors.Cortex;

/// <summary>
/// The cortex gateway (role <c>cortex</c>): the one door to the language model. It answers
/// <c>cortex_request</c>s on <c>{env}.cortex.nyx.request</c> (queue group, so one gateway of the
/// cluster takes each). Admission, in order, each refusal at once with its reason: the requester
/// is who its reply inbox says; the response schema is known; the breaker is not open
/// (<c>cortex_down</c>); an NPC's LLM gate is open in the governor's latest allocation
/// (<c>gate_closed</c>); the queue has room (<c>queue_full</c>); the organism and an NPC
/// requester can pay the call at its worst (<c>no_lifeforce</c>). Admitted requests wait by
/// their priority (the governor's <c>llm_priority</c>, 10 most urgent; then arrival) with at most
/// <see cref="CortexSettings.MaxConcurrent"/> in flight, each sent with vLLM's priority
/// <c>10 - p</c>. A request whose deadline passes, queued or in flight, fails <c>timeout</c>.
/// Lifeforce is booked once, in the ledger, when a call is answered. Every admission, refusal
/// and outcome is a <c>cortex_trail</c>, published durably.
/// </summary>
public sealed class CortexGatewayActor : ReceiveActor, IWithTimers
{
    public const string QueueGroup = "nimmerverse-cortex";

    /// <summary>The entity type its messages carry (the boundary's are <c>boundary</c>).</summary>
    public const string EntityType = "cortex";
    private static readonly TimeSpan BalanceEvery = TimeSpan.FromMilliseconds(500);

    /// <summary>A call that timed out counts against the endpoint only if it had at least this long.</summary>
    public static readonly TimeSpan BreakerTimeoutFloor = TimeSpan.FromSeconds(2);

    private readonly CortexSettings _settings;
    private readonly IActorRef _bridge;
    private readonly IActorRef _ledger;
    private readonly Subjects _subjects;
    private readonly ICortexEndpoint _endpoint;
    private readonly TimeProvider _clock;
    private readonly MessageSource _source;
    private readonly CortexBreaker _breaker;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly RateLimitedLog _problems;
    private readonly CortexGauges? _gauges;

    /// <summary>Waiting, most urgent first, then by arrival.</summary>
    private readonly PriorityQueue<Pending, (int Urgency, long Arrival)> _queue = new();
    private readonly Dictionary<Guid, Pending> _pending = [];
    private readonly CortexAdmission _admission;
    private readonly Dictionary<string, long> _refused = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _failed = new(StringComparer.Ordinal);
    private long _arrivals;
    private int _queued;
    private int _inFlight;
    private long _answered;
    private double _lifeforceSpent;
    private double? _lastLatencyMs;
    private double _queueMsTotal;
    private long _dequeued;

    /// <summary>A request from admission to its answer.</summary>
    private sealed class Pending(Envelope<CortexRequestBody> request, string? replyTo, int priority, double worstCost, long arrivedAt)
    {
        public Envelope<CortexRequestBody> Request { get; } = request;

        public CortexRequestBody Body => Request.Body;

        public string? ReplyTo { get; } = replyTo;

        public int Priority { get; } = priority;

        public double WorstCost { get; } = worstCost;

        public long ArrivedAt { get; } = arrivedAt;

        public long StartedAt { get; set; }

        public bool Started { get; set; }

        public CancellationTokenSource? Deadline { get; set; }

        public TimeSpan Remaining(TimeProvider clock) => TimeSpan.FromMilliseconds(Body.ResponseTimeoutMs) - clock.GetElapsedTime(ArrivedAt);
    }

    private sealed record DeadlinePassed(Guid RequestId);

    private sealed record CallEnded(Guid RequestId, CortexCompletion? Completion, string? Reason, string? Detail, bool EndpointAtFault);

    private sealed record RefreshBalance
    {
        public static readonly RefreshBalance Instance = new();
    }

    public CortexGatewayActor(CortexSettings settings, IActorRef bridge, IActorRef ledger, Subjects subjects, ICortexEndpoint endpoint, string hostName, TimeProvider? clock = null, CortexGauges? gauges = null)
    {
        _gauges = gauges;
        _settings = settings;
        _bridge = bridge;
        _ledger = ledger;
        _subjects = subjects;
        _endpoint = endpoint;
        _clock = clock ?? TimeProvider.System;
        _source = new MessageSource($"{EntityType}@{hostName}", EntityType, Tiers.Cortex);
        _breaker = new CortexBreaker(settings.BreakerFailures, settings.BreakerOpenFor, _clock);
        _admission = new CortexAdmission(settings, subjects);
        _problems = new RateLimitedLog(_log, TimeSpan.FromMinutes(1), _clock);

        Receive<Inbound<CortexRequestBody>>(Admit);
        Receive<Inbound<AllocationBody>>(allocation => _admission.Allocated(allocation.Envelope.Body));
        Receive<Inbound<NpcStateBody>>(state => _admission.NpcHolds(state.Envelope.Body.NpcId, state.Envelope.Body.Lifeforce));
        Receive<LifeforceLedgerMessages.Balance>(balance => _admission.OrganismHolds(balance.Stock));
        Receive<RefreshBalance>(_ =>
        {
            _ledger.Tell(LifeforceLedgerMessages.GetBalance.Instance);
            _gauges?.Set(CurrentStatus());
        });
        Receive<DeadlinePassed>(OnDeadline);
        Receive<CallEnded>(OnCallEnded);
        Receive<CortexGatewayMessages.GetStatus>(_ => Sender.Tell(CurrentStatus()));
        Receive<Subscribed>(subscribed =>
        {
            if (subscribed.Pattern.ToString() == _subjects.CortexRequest.Value)
            {
                _log.Info("Cortex gateway listening on {Subject}", subscribed.Pattern);
            }
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(CortexSettings settings, IActorRef bridge, IActorRef ledger, Subjects subjects, ICortexEndpoint endpoint, string hostName, TimeProvider? clock = null, CortexGauges? gauges = null) =>
        Akka.Actor.Props.Create(() => new CortexGatewayActor(settings, bridge, ledger, subjects, endpoint, hostName, clock, gauges));

    protected override void PreStart()
    {
        _bridge.Tell(new Subscribe<CortexRequestBody>(SubjectPattern.Parse(_subjects.CortexRequest.Value), Self, QueueGroup));
        _bridge.Tell(new Subscribe<AllocationBody>(SubjectPattern.Parse(_subjects.Allocation.Value), Self));
        _bridge.Tell(new Subscribe<NpcStateBody>(_subjects.NpcStates, Self));
        _ledger.Tell(LifeforceLedgerMessages.GetBalance.Instance);
        Timers.StartPeriodicTimer("balance", RefreshBalance.Instance, BalanceEvery);
        _log.Info(
            "Cortex gateway up: model {Model} at {Endpoint}, at most {MaxConcurrent} in flight and {MaxQueue} queued, a call costs {CallCost} LF + {TokenCost} LF a token",
            _settings.Model, _settings.Endpoint, _settings.MaxConcurrent, _settings.MaxQueue, _settings.CallCost, _settings.TokenCost);
    }

    protected override void PostStop()
    {
        foreach (var pending in _pending.Values.ToList())
        {
            pending.Deadline?.Cancel();
            Finish(pending, RequestStatus.Failed, CortexReasons.ShuttingDown, "the cortex gateway stopped", completion: null);
        }
    }

    private void Admit(Inbound<CortexRequestBody> inbound)
    {
        var request = inbound.Envelope;
        var body = request.Body;
        if (_pending.ContainsKey(request.Header.MessageId))
        {
            return; // the same request again (a redelivery): it is in hand already
        }

        var priority = _admission.PriorityOf(body.NpcId);
        var promptBytes = body.Messages.Sum(m => Encoding.UTF8.GetByteCount(m.Content));
        var worst = _settings.WorstCost(promptBytes, body.Messages.Count, body.MaxTokens);
        var held = (_pending.Values.Sum(p => p.WorstCost), (Func<int, double>)(npc => _pending.Values.Where(p => p.Body.NpcId == npc).Sum(p => p.WorstCost)));
        if (_admission.Refusal(body, inbound.ReplyTo, worst, _breaker, _queued, held) is { } refused)
        {
            Count(_refused, refused.Reason);
            Trail(request.Header.MessageId, body, CortexTrailEvents.Refused, priority, refused.Reason, refused.Detail);
            Answer(request, inbound.ReplyTo, new CortexResponseBody(body.Requester, RequestStatus.Refused, refused.Reason, refused.Detail));
            return;
        }

        var pending = new Pending(request, inbound.ReplyTo, priority, worst, _clock.GetTimestamp());
        _pending[request.Header.MessageId] = pending;
        _queue.Enqueue(pending, (10 - priority, _arrivals++));
        _queued++;
        Timers.StartSingleTimer(request.Header.MessageId, new DeadlinePassed(request.Header.MessageId), pending.Remaining(_clock));
        Trail(request.Header.MessageId, body, CortexTrailEvents.Admitted, priority, queueDepth: _queued);
        Dispatch();
    }

    /// <summary>Starts the most urgent waiting requests while there is room in flight and the breaker lets them go.</summary>
    private void Dispatch()
    {
        while (_inFlight < _settings.MaxConcurrent && _queue.Count > 0)
        {
            var next = _queue.Peek();
            if (!_pending.ContainsKey(next.Request.Header.MessageId))
            {
                _queue.Dequeue(); // ended while waiting (its deadline)
                continue;
            }

            if (!_breaker.TryStart())
            {
                return;
            }

            _queue.Dequeue();
            _queued--;
            _inFlight++;
            Start(next);
        }
    }

    private void Start(Pending pending)
    {
        var id = pending.Request.Header.MessageId;
        Timers.Cancel(id);
        pending.Started = true;
        pending.StartedAt = _clock.GetTimestamp();
        _dequeued++;
        _queueMsTotal += _clock.GetElapsedTime(pending.ArrivedAt, pending.StartedAt).TotalMilliseconds;
        var remaining = pending.Remaining(_clock);
        if (remaining <= TimeSpan.Zero)
        {
            Self.Tell(new CallEnded(id, null, CortexReasons.Timeout, "the deadline passed before the call could start", EndpointAtFault: false));
            return;
        }

        var deadline = new CancellationTokenSource(remaining);
        pending.Deadline = deadline;
        // A call cut short by its own tight deadline says nothing of the endpoint: else a requester
        // asking with 100 ms deadlines could open the breaker for everyone.
        var timeoutIsTheEndpoints = remaining >= BreakerTimeoutFloor;
        var call = new CortexCall(pending.Body.Messages, pending.Body.MaxTokens, pending.Body.ResponseSchema, _settings.PriorityScheduling ? LlmPriorities.Max - pending.Priority : 0);
        _endpoint.CompleteAsync(call, deadline.Token).ContinueWith(
            t => t.Status switch
            {
                TaskStatus.RanToCompletion => new CallEnded(id, t.Result, null, null, false),
                TaskStatus.Canceled => new CallEnded(id, null, CortexReasons.Timeout, $"no answer within {pending.Body.ResponseTimeoutMs} ms", timeoutIsTheEndpoints),
                _ => t.Exception!.GetBaseException() switch
                {
                    CortexCallException e => new CallEnded(id, null, e.Reason, e.Message, e.EndpointAtFault),
                    OperationCanceledException => new CallEnded(id, null, CortexReasons.Timeout, $"no answer within {pending.Body.ResponseTimeoutMs} ms", timeoutIsTheEndpoints),
                    var e => new CallEnded(id, null, CortexReasons.EndpointError, $"{e.GetType().Name}: {e.Message}", EndpointAtFault: true),
                },
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default).PipeTo(Self);
    }

    private void OnCallEnded(CallEnded ended)
    {
        _inFlight--;
        if (!_pending.TryGetValue(ended.RequestId, out var pending))
        {
            Dispatch();
            return;
        }

        pending.Deadline?.Dispose();
        if (ended.Completion is { } completion)
        {
            _breaker.Succeeded();
            if (pending.Body.ResponseSchema is { } schema && CortexSchemas.Problem(schema, completion.Content) is { } problem)
            {
                Finish(pending, RequestStatus.Failed, CortexReasons.InvalidOutput, $"the answer does not follow {schema}: {problem}", completion: null);
            }
            else
            {
                Finish(pending, RequestStatus.Answered, null, null, completion);
            }
        }
        else
        {
            if (!ended.EndpointAtFault)
            {
                _breaker.Abandoned();
            }
            else if (_breaker.Failed())
            {
                _log.Warning("Cortex breaker open: {Failures} failures in a row ({Reason}: {Detail}); refusing for {OpenFor}", _breaker.FailuresInARow, ended.Reason, ended.Detail, _settings.BreakerOpenFor);
                RefuseQueued();
            }

            _problems.Warning($"call:{ended.Reason}", "A cortex call failed: {Reason}: {Detail}", ended.Reason!, ended.Detail!);
            Finish(pending, RequestStatus.Failed, ended.Reason, ended.Detail, completion: null);
        }

        Dispatch();
    }

    /// <summary>The breaker opened: those waiting would only wait for their deadlines.</summary>
    private void RefuseQueued()
    {
        while (_queue.TryDequeue(out var waiting, out _))
        {
            if (_pending.ContainsKey(waiting.Request.Header.MessageId))
            {
                Timers.Cancel(waiting.Request.Header.MessageId);
                Count(_refused, CortexReasons.CortexDown);
                Finish(waiting, RequestStatus.Refused, CortexReasons.CortexDown, "the model server failed again and again while this request waited", completion: null);
            }
        }

        _queued = 0;
    }

    private void OnDeadline(DeadlinePassed passed)
    {
        if (_pending.TryGetValue(passed.RequestId, out var pending) && !pending.Started)
        {
            _queued--; // it stays in the heap, skipped when it comes up
            Finish(pending, RequestStatus.Failed, CortexReasons.Timeout, $"still queued after {pending.Body.ResponseTimeoutMs} ms ({_inFlight} in flight, {_queued} waiting)", completion: null);
        }
    }

    /// <summary>Answers an admitted request, books an answer's lifeforce (once: the request leaves the pending set here), and leaves its trail.</summary>
    private void Finish(Pending pending, string status, string? reason, string? detail, CortexCompletion? completion)
    {
        detail = detail is null ? null : PrintableText.Of(detail);
        if (!_pending.Remove(pending.Request.Header.MessageId))
        {
            return;
        }

        var now = _clock.GetTimestamp();
        var queueMs = _clock.GetElapsedTime(pending.ArrivedAt, pending.Started ? pending.StartedAt : now).TotalMilliseconds;
        var latencyMs = pending.Started ? _clock.GetElapsedTime(pending.StartedAt, now).TotalMilliseconds : 0;
        var body = pending.Body;
        double spent = 0;
        if (completion is not null)
        {
            spent = _settings.CostOf(completion.Usage.TotalTokens);
            _ledger.Tell(new LifeforceLedgerMessages.Spend(spent, body.Requester, "cortex call"));
            _admission.Spent(body.NpcId, spent);

            _answered++;
            _lifeforceSpent += spent;
            _lastLatencyMs = latencyMs;
        }
        else if (status == RequestStatus.Failed)
        {
            Count(_failed, reason!);
        }

        Trail(pending.Request.Header.MessageId, body, status switch
        {
            RequestStatus.Answered => CortexTrailEvents.Answered,
            RequestStatus.Refused => CortexTrailEvents.Refused,
            _ => CortexTrailEvents.Failed,
        }, pending.Priority, reason, detail, completion, queueMs, latencyMs, spent);
        Answer(pending.Request, pending.ReplyTo, new CortexResponseBody(
            body.Requester, status, reason, detail, completion?.Content, completion?.Model, completion?.Usage, queueMs, latencyMs, spent));
    }

    private void Answer(Envelope<CortexRequestBody> request, string? replyTo, CortexResponseBody response)
    {
        var envelope = Envelopes.Of(_source, response, correlationId: request.Header.MessageId, clock: _clock);
        if (replyTo is not null)
        {
            _bridge.Tell(new Reply<CortexResponseBody>(replyTo, envelope));
        }

        _bridge.Tell(new Publish<CortexResponseBody>(_subjects.CortexResponse, envelope));
    }

    private void Trail(Guid requestId, CortexRequestBody body, string trailEvent, int priority, string? reason = null, string? detail = null, CortexCompletion? completion = null, double queueMs = 0, double latencyMs = 0, double spent = 0, int queueDepth = -1)
    {
        // The exchange itself travels with its outcome, where it is a training example; an admission names it.
        var exchange = trailEvent is CortexTrailEvents.Answered or CortexTrailEvents.Admitted;
        var trail = new CortexTrailBody(
            requestId, body.Requester, trailEvent, priority, reason, detail, body.ResponseSchema,
            exchange ? body.Messages : null, completion?.Content, completion?.Model, completion?.Usage, queueMs, latencyMs, spent, queueDepth < 0 ? _queued : queueDepth);
        _bridge.Tell(new PublishDurable<CortexTrailBody>(_subjects.CortexTrail, Envelopes.Of(_source, trail, clock: _clock)));
    }

    private static void Count(Dictionary<string, long> counts, string reason) => counts[reason] = counts.GetValueOrDefault(reason) + 1;

    private CortexGatewayMessages.Status CurrentStatus() =>
        new CortexGatewayMessages.Status(
            _settings.Endpoint, _settings.Model, _breaker.State, _breaker.FailuresInARow, _breaker.Openings, _queued, _inFlight, _answered,
            new Dictionary<string, long>(_refused), new Dictionary<string, long>(_failed), _lifeforceSpent, _lastLatencyMs, _dequeued == 0 ? null : _queueMsTotal / _dequeued);
}
