using Akka.Actor;
using Akka.Event;
using Nimmerverse.Actors.Lifeforce;
using Nimmerverse.Protocol;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;

namespace Nimmerverse.Actors.Organs;

/// <summary>
/// The organs' door to the bus (role <c>organs</c>, one per host): it takes <c>organ_request</c>s
/// on <c>{env}.organs.vision.detect</c>, <c>.speech.transcribe</c> and <c>.speech.speak</c> (queue
/// group, so one host of the cluster takes each), refuses at once what lacks what its operation
/// needs (<c>invalid_request</c>) or what the organism cannot pay (<c>no_lifeforce</c>, counting
/// what the calls in hand may still cost), and hands the rest to the <see cref="OrganManagerActor"/>.
/// An answer is booked in the ledger (once), answered, kept as an <c>organ_trail</c> (durably) and
/// sent on as a wave on <c>{env}.organs.{organ}.wave</c>, which the thalamus weighs like a cell's.
/// Every lifecycle step of an organ goes out as <c>organ_state</c>. A gate of a domain in
/// <see cref="OrganManagerSettings.Prewarm"/> that rises pre-warms its organ.
/// </summary>
public sealed class OrganGatewayActor : ReceiveActor, IWithTimers
{
    public const string QueueGroup = "nimmerverse-organs";

    /// <summary>The entity type its messages carry.</summary>
    public const string EntityType = "organs";

    private static readonly TimeSpan BalanceEvery = TimeSpan.FromMilliseconds(500);

    private readonly OrganManagerSettings _settings;
    private readonly IActorRef _bridge;
    private readonly IActorRef _ledger;
    private readonly IActorRef _manager;
    private readonly Subjects _subjects;
    private readonly TimeProvider _clock;
    private readonly MessageSource _source;
    private readonly OrganGauges? _gauges;
    private readonly IOrganMediaStore? _media;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, string> _organOfSubject;

    /// <summary>Calls in hand (fetching their media, or with the manager), by call id.</summary>
    private readonly Dictionary<Guid, Pending> _pending = [];
    private readonly OrganTally _tally = new();
    private double _organismStock = LifeforceLedgerActor.InitialStock;

    private sealed record Pending(Envelope<OrganRequestBody> Request, string? ReplyTo, string Organ, double Cost);

    /// <summary>A request's media fetched from the object store (or why not).</summary>
    private sealed record MediaFetched(Guid CallId, byte[]? Media, string? Reason, string? Problem);

    /// <summary>An answer's speech kept in the object store (or why not).</summary>
    private sealed record SpeechStored(OrganAnswered Answer, string? Problem);

    private sealed record RefreshBalance
    {
        public static readonly RefreshBalance Instance = new();
    }

    public OrganGatewayActor(
        OrganManagerSettings settings, IActorRef bridge, IActorRef ledger, IActorRef manager, Subjects subjects, string hostName, TimeProvider? clock = null, OrganGauges? gauges = null,
        IOrganMediaStore? media = null)
    {
        (_settings, _bridge, _ledger, _manager, _subjects, _gauges, _media) = (settings, bridge, ledger, manager, subjects, gauges, media);
        _clock = clock ?? TimeProvider.System;
        _source = new MessageSource($"{EntityType}@{hostName}", EntityType, Tiers.Nerves);
        _organOfSubject = OrganNames.All.ToDictionary(organ => subjects.OrganRequest(organ).Value, organ => organ, StringComparer.Ordinal);

        Receive<Inbound<OrganRequestBody>>(Admit);
        Receive<OrganAnswered>(Answered);
        Receive<MediaFetched>(Fetched);
        Receive<SpeechStored>(stored => Complete(stored.Answer, stored.Problem));
        Receive<OrganCallFailed>(failed => Failed(failed.CallId, failed.Reason, failed.Detail));
        Receive<OrganStateChanged>(StateChanged);
        Receive<Inbound<GateTransitionBody>>(GateMoved);
        Receive<LifeforceLedgerMessages.Balance>(balance => _organismStock = balance.Stock);
        Receive<RefreshBalance>(_ =>
        {
            _ledger.Tell(LifeforceLedgerMessages.GetBalance.Instance);
            _gauges?.Set(Snapshot());
        });
        Receive<OrganGatewayMessages.GetStatus>(_ => Sender.Tell(Snapshot()));
        Receive<Subscribed>(subscribed => _log.Info("Organs listening on {0}", subscribed.Pattern));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(
        OrganManagerSettings settings, IActorRef bridge, IActorRef ledger, IActorRef manager, Subjects subjects, string hostName, TimeProvider? clock = null, OrganGauges? gauges = null,
        IOrganMediaStore? media = null) =>
        Akka.Actor.Props.Create(() => new OrganGatewayActor(settings, bridge, ledger, manager, subjects, hostName, clock, gauges, media));

    protected override void PreStart()
    {
        foreach (var subject in _organOfSubject.Keys)
        {
            _bridge.Tell(new Subscribe<OrganRequestBody>(SubjectPattern.Parse(subject), Self, QueueGroup, _settings.MaxRequestBytes));
        }

        if (_settings.Prewarm.Values.Any(organ => !string.IsNullOrEmpty(organ)))
        {
            _bridge.Tell(new Subscribe<GateTransitionBody>(_subjects.GateTransitions, Self));
        }

        Context.System.EventStream.Subscribe<OrganStateChanged>(Self);
        _ledger.Tell(LifeforceLedgerMessages.GetBalance.Instance);
        Timers.StartPeriodicTimer("balance", RefreshBalance.Instance, BalanceEvery);
        _log.Info(
            "Organs up on cards {0}: a call costs {1} LF (vision), {2} LF (speech-to-text), {3} LF (text-to-speech); idle organs unload after {4}",
            string.Join(", ", _settings.EffectiveCards), _settings.VisionCost, _settings.SpeechToTextCost, _settings.TextToSpeechCost, _settings.IdleTimeout);
    }

    protected override void PostStop()
    {
        Context.System.EventStream.Unsubscribe(Self);
        foreach (var callId in _pending.Keys.ToList())
        {
            Failed(callId, OrganReasons.ShuttingDown, "the organ gateway stopped");
        }
    }

    private OrganGatewayMessages.OrgansStatus Snapshot() =>
        _tally.Snapshot(_pending.Values.GroupBy(p => p.Organ).ToDictionary(g => g.Key, g => g.Count()), _pending.Values.Sum(p => p.Cost));

    private void Admit(Inbound<OrganRequestBody> inbound)
    {
        var (request, body) = (inbound.Envelope, inbound.Envelope.Body);
        if (!_organOfSubject.TryGetValue(inbound.Subject, out var organ) || _pending.Values.Any(p => p.Request.Header.MessageId == request.Header.MessageId))
        {
            return; // a redelivery of a request in hand
        }

        var cost = _settings.CostOf(organ);
        var spare = _organismStock - _pending.Values.Sum(p => p.Cost);
        var refusal = body.MissingFor(organ) is { } missing
            ? (OrganReasons.InvalidRequest, missing)
            : body.MediaObject is not null && _media is null
                ? (OrganReasons.InvalidRequest, "this host takes no media from the object store")
            : spare < cost
                ? (OrganReasons.NoLifeforce, $"the {organ} call costs {cost:0.##} LF; the organism has {spare:0.##} LF to spare")
                : ((string Reason, string Detail)?)null;
        if (refusal is { } refused)
        {
            _tally.Ended(organ, RequestStatus.Refused, refused.Reason, 0);
            Trail(request, organ, RequestStatus.Refused, refused.Reason, refused.Detail);
            Answer(request, inbound.ReplyTo, new OrganResponseBody(body.Requester, organ, RequestStatus.Refused, refused.Reason, refused.Detail));
            return;
        }

        var callId = Guid.NewGuid();
        _pending[callId] = new Pending(request, inbound.ReplyTo, organ, cost);
        if (body.MediaObject is { } name)
        {
            // Fetched outside the actor; the call goes to the manager once the bytes are here.
            _media!.GetAsync(name, _settings.MaxMediaBytes, CancellationToken.None).ContinueWith(
                fetch => fetch.IsCompletedSuccessfully
                    ? new MediaFetched(callId, fetch.Result, null, null)
                    : fetch.Exception?.GetBaseException() is OrganMediaException unusable
                        ? new MediaFetched(callId, null, OrganReasons.InvalidRequest, unusable.Message) // the request named what is not there
                        : new MediaFetched(callId, null, OrganReasons.OrganFailed, $"the organ media store failed: {fetch.Exception?.GetBaseException().Message ?? "cancelled"}"),
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).PipeTo(Self);
            return;
        }

        _manager.Tell(new OrganCall(organ, Work(organ, body), TimeSpan.FromMilliseconds(body.TimeoutMs)) { Id = callId });
    }

    private void Fetched(MediaFetched fetched)
    {
        if (!_pending.TryGetValue(fetched.CallId, out var pending))
        {
            return;
        }

        if (fetched.Media is null)
        {
            Failed(fetched.CallId, fetched.Reason!, fetched.Problem!);
            return;
        }

        var body = pending.Request.Body with { Media = fetched.Media, MediaObject = null };
        _manager.Tell(new OrganCall(pending.Organ, Work(pending.Organ, body), TimeSpan.FromMilliseconds(body.TimeoutMs)) { Id = fetched.CallId });
    }

    private static Func<OrganClient, CancellationToken, Task<object>> Work(string organ, OrganRequestBody body) => organ switch
    {
        OrganNames.Vision => async (client, cancellation) => await client.DetectAsync(body.Media!, cancellation).ConfigureAwait(false),
        OrganNames.SpeechToText => async (client, cancellation) => await client.TranscribeAsync(body.Media!, cancellation).ConfigureAwait(false),
        _ => async (client, cancellation) => await client.SpeakAsync(body.Text!, cancellation).ConfigureAwait(false),
    };

    private void Answered(OrganAnswered answered)
    {
        if (!_pending.ContainsKey(answered.CallId))
        {
            return;
        }

        if (answered.Result is byte[] speech && OrganMedia.TooLargeForAMessage(speech.Length) && _media is not null)
        {
            // Too large for the reply: kept in the object store, and the answer names it.
            var name = OrganMedia.SpeechOf(_pending[answered.CallId].Request.Header.MessageId);
            _media.PutAsync(name, speech, CancellationToken.None).ContinueWith(
                put => new SpeechStored(answered with { Result = name }, put.IsCompletedSuccessfully ? null : put.Exception?.GetBaseException().Message ?? "cancelled"),
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).PipeTo(Self);
            return;
        }

        Complete(answered, null);
    }

    /// <summary>Books, answers, keeps the trail and sends the wave; a speech object that could not be kept fails the request instead.</summary>
    private void Complete(OrganAnswered answered, string? problem)
    {
        if (problem is not null)
        {
            Failed(answered.CallId, OrganReasons.OrganFailed, $"the speech could not be kept in the object store: {problem}");
            return;
        }

        if (!_pending.Remove(answered.CallId, out var pending))
        {
            return;
        }

        var (requester, result) = (pending.Request.Body.Requester, answered.Result);
        _ledger.Tell(new LifeforceLedgerMessages.Spend(pending.Cost, requester, $"{pending.Organ} organ"));
        _organismStock -= pending.Cost; // until the ledger's next balance says so itself
        _tally.Ended(pending.Organ, RequestStatus.Answered, null, answered.Worked.TotalMilliseconds, pending.Cost);

        var (waitMs, workMs, loadMs) = (answered.Waited.TotalMilliseconds, answered.Worked.TotalMilliseconds, answered.LoadTime?.TotalMilliseconds);
        // Answered first: the requester waits for the answer, nobody waits for the trail.
        Answer(pending.Request, pending.ReplyTo, new OrganResponseBody(
            requester, pending.Organ, RequestStatus.Answered, Vision: result as VisionResult, Transcription: result as Transcription, Speech: result as byte[],
            WaitMs: waitMs, WorkMs: workMs, LoadMs: loadMs, LifeforceSpent: pending.Cost, SpeechObject: result as string));
        Trail(pending.Request, pending.Organ, RequestStatus.Answered, output: OrganReports.Output(result), confidence: OrganReports.Confidence(result),
            times: (waitMs, workMs, loadMs), spent: pending.Cost, card: answered.Card);
        _bridge.Tell(new Publish<WaveBody>(_subjects.OrganWave(pending.Organ), Envelopes.Of(_source,
            new WaveBody(pending.Organ, Math.Clamp(OrganReports.Confidence(result), 0, 1), OrganReports.WaveContent(requester, result), pending.Cost),
            correlationId: pending.Request.Header.MessageId, clock: _clock)));
    }

    private void Failed(Guid callId, string reason, string detail)
    {
        if (!_pending.Remove(callId, out var pending))
        {
            return;
        }

        var status = OrganReasons.Refusals.Contains(reason) ? RequestStatus.Refused : RequestStatus.Failed;
        detail = PrintableText.Of(detail);
        _tally.Ended(pending.Organ, status, reason, 0);
        Trail(pending.Request, pending.Organ, status, reason, detail);
        Answer(pending.Request, pending.ReplyTo, new OrganResponseBody(pending.Request.Body.Requester, pending.Organ, status, reason, detail));
    }

    private void StateChanged(OrganStateChanged change)
    {
        var state = change.State.ToString().ToLowerInvariant();
        _tally.State(change.Organ, state, change.Card, change.Pid, change.LoadTime?.TotalMilliseconds);
        var body = new OrganStateBody(change.Organ, state, change.Card, change.Pid, change.State == OrganState.Ready ? change.LoadTime?.TotalMilliseconds : null,
            change.Reason is null ? null : PrintableText.Of(change.Reason));
        _bridge.Tell(new Publish<OrganStateBody>(_subjects.OrganState(change.Organ), Envelopes.Of(_source, body, clock: _clock)));
    }

    /// <summary>A gate rising toward open whose domain needs an organ: load it before anyone asks.</summary>
    private void GateMoved(Inbound<GateTransitionBody> transition)
    {
        var gate = transition.Envelope.Body;
        if (gate.ToState > gate.FromState && _settings.PrewarmedBy(gate.Domain) is { } organ)
        {
            _manager.Tell(new PrewarmOrgan(organ));
        }
    }

    private void Answer(Envelope<OrganRequestBody> request, string? replyTo, OrganResponseBody response)
    {
        if (replyTo is not null)
        {
            _bridge.Tell(new Reply<OrganResponseBody>(replyTo, Envelopes.Of(_source, response, correlationId: request.Header.MessageId, clock: _clock)));
        }
    }

    private void Trail(
        Envelope<OrganRequestBody> request, string organ, string status, string? reason = null, string? detail = null, string? output = null, double? confidence = null,
        (double Wait, double Work, double? Load) times = default, double spent = 0, string? card = null)
    {
        var trail = new OrganTrailBody(
            request.Header.MessageId, request.Body.Requester, organ, status, OrganReports.Input(organ, request.Body), reason, detail, output,
            confidence is { } c ? Math.Clamp(c, 0, 1) : null, times.Wait, times.Work, times.Load, spent, card);
        _bridge.Tell(new PublishDurable<OrganTrailBody>(_subjects.OrganTrail(organ), Envelopes.Of(_source, trail, clock: _clock)));
    }
}
