using System.Text.Json;
using Akka.Actor;
using Akka.Event;
using Nimmerverse.Actors.Logging;
using Nimmerverse.Protocol;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;

namespace Nimmerverse.Actors.Cortex;

/// <summary>
/// The Function Gemma boundary (beside the gateway, role <c>cortex</c>): when a thalamus gate opens
/// toward the boundary or the cortex (routed to tier 3 or 4; the governor's LLM gates are no such
/// signal), it asks Function Gemma to turn the transition and its trigger waves into a
/// <see cref="CognitiveAssessment"/>, held to that record's schema; an answer the record refuses is
/// asked again with a hint, at most <see cref="BoundarySettings.Retries"/> times, then the transition is
/// NACKed (counted, logged). A valid assessment, with the gate's domain, budget and deadline, is a
/// <see cref="CognitiveRequest"/>, which goes to the cortex gateway as requester <c>boundary</c>; the
/// cortex's <c>downstream_commands</c> are routed down to NPCs and nerves (<see cref="DownstreamRouter"/>).
/// One transition is assessed at a time; every assessment, valid or NACKed, is a <c>cortex_trail</c>.
/// </summary>
public sealed class BoundaryActor : ReceiveActor, IWithTimers
{
    public const string Requester = "boundary";
    private const int WavesKept = 4096;

    /// <summary>How long a transition that overtook its trigger waves waits for them.</summary>
    private static readonly TimeSpan WaveGrace = TimeSpan.FromMilliseconds(250);

    private const string AssessmentPrompt =
        "You are the boundary of an artificial organism. A gate of its thalamus opened: the signal and the waves that pushed it follow, as JSON. " +
        "Name the event (one of the sensory event types), say how sure you are (0 to 1), put the facts that matter in structured_input, " +
        "and suggest up to three actions with your confidence in each. Answer with JSON only.";

    private const string CortexPrompt =
        "You are the cortex of an artificial organism. A cognitive request follows, as JSON. Answer with downstream_commands: " +
        "to an NPC (target npc-{id}; command pause, resume, checkpoint, or set_tick_rate with payload {\"tick_rate_hz\": 1-20}) " +
        "or to a nerve (target nerve-exploration; command pause with payload {\"duration_ms\": n}, or resume).";

    private readonly BoundarySettings _settings;
    private readonly IActorRef _bridge;
    private readonly Subjects _subjects;
    private readonly ICortexEndpoint _functionGemma;
    private readonly TimeProvider _clock;
    private readonly MessageSource _source;
    private readonly BoundaryCounters _counters;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly RateLimitedLog _problems;
    private readonly Dictionary<Guid, WaveBody> _waves = [];
    private bool _listeningForGates;
    private readonly Queue<Guid> _waveOrder = new();
    private readonly Dictionary<string, long> _lastTakenUp = new(StringComparer.Ordinal);
    private readonly Queue<GateTransitionBody> _waiting = new();
    private Assessment? _current;

    /// <summary>One transition on its way through Function Gemma.</summary>
    private sealed record Assessment(Guid Id, GateTransitionBody Transition, IReadOnlyList<CortexMessage> Prompt, long StartedAt)
    {
        public List<CortexMessage> Conversation { get; } = [.. Prompt];

        public int Attempts { get; set; }
    }

    private sealed record Assessed(Guid Id, CortexCompletion? Completion, string? Reason, string? Detail);

    public BoundaryActor(BoundarySettings settings, IActorRef bridge, Subjects subjects, ICortexEndpoint functionGemma, string hostName, BoundaryCounters? counters = null, TimeProvider? clock = null)
    {
        _settings = settings;
        _bridge = bridge;
        _subjects = subjects;
        _functionGemma = functionGemma;
        _clock = clock ?? TimeProvider.System;
        _counters = counters ?? new BoundaryCounters();
        _source = new MessageSource($"boundary@{hostName}", "boundary", Tiers.Cortex);
        _problems = new RateLimitedLog(_log, TimeSpan.FromMinutes(1), _clock);

        Receive<Inbound<WaveBody>>(Keep);
        Receive<Inbound<GateTransitionBody>>(inbound => OnTransition(inbound.Envelope.Body, overtook: false));
        Receive<Overtaken>(overtaken => OnTransition(overtaken.Transition, overtook: true));
        Receive<Assessed>(OnAssessed);
        Receive<Response<CortexResponseBody>>(OnCortexAnswer);
        Receive<RequestFailed>(failed =>
        {
            _counters.Count("cortex_unanswered");
            _problems.Warning("cortex-unanswered", "The cortex did not answer a cognitive request: {Reason}", failed.Reason);
        });
        Receive<Subscribed>(subscribed =>
        {
            _log.Debug("Boundary listening on {Subject}", subscribed.Pattern);
            if (subscribed.Pattern == _subjects.Waves && !_listeningForGates)
            {
                _listeningForGates = true;
                _bridge.Tell(new Subscribe<GateTransitionBody>(SubjectPattern.Parse(_subjects.GateTransition(open: true).Value), Self));
            }
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>A transition that came before its trigger waves, back after <see cref="WaveGrace"/>.</summary>
    private sealed record Overtaken(GateTransitionBody Transition);

    public static Props Props(BoundarySettings settings, IActorRef bridge, Subjects subjects, ICortexEndpoint functionGemma, string hostName, BoundaryCounters? counters = null, TimeProvider? clock = null) =>
        Akka.Actor.Props.Create(() => new BoundaryActor(settings, bridge, subjects, functionGemma, hostName, counters, clock));

    protected override void PreStart()
    {
        // Gates once the waves are live (Subscribed): a gate taken up before would be assessed without the waves that opened it.
        _bridge.Tell(new Subscribe<WaveBody>(_subjects.Waves, Self));
        _log.Info("Boundary up: gates opening toward tier {Tier} are assessed by {Model}, at most {Retries} retries", Tiers.Boundary, _settings.Model, _settings.Retries);
    }

    /// <summary>The recent waves, so that a transition's trigger waves can be told to Function Gemma.</summary>
    private void Keep(Inbound<WaveBody> wave)
    {
        if (_waves.TryAdd(wave.Envelope.Header.MessageId, wave.Envelope.Body))
        {
            _waveOrder.Enqueue(wave.Envelope.Header.MessageId);
            if (_waveOrder.Count > WavesKept)
            {
                _waves.Remove(_waveOrder.Dequeue());
            }
        }
    }

    private void OnTransition(GateTransitionBody transition, bool overtook)
    {
        if (transition.ToState != GateState.Open || transition.RoutedToTier < Tiers.Boundary || transition.Domain == "llm")
        {
            return;
        }

        // Waves and transitions come on separate subscriptions, so a transition can overtake the waves that opened its
        // gate: it waits for them once, briefly, and then goes on with what is known.
        if (!overtook && !transition.TriggerWaves.All(_waves.ContainsKey))
        {
            Timers.StartSingleTimer(Guid.NewGuid(), new Overtaken(transition), WaveGrace);
            return;
        }

        var now = _clock.GetTimestamp();
        if (_lastTakenUp.TryGetValue(transition.GateId, out var last) && _clock.GetElapsedTime(last, now) < _settings.GateCooldown)
        {
            _counters.Count("cooled");
            return;
        }

        _lastTakenUp[transition.GateId] = now;
        _waiting.Enqueue(transition);
        if (_waiting.Count > _settings.MaxWaiting)
        {
            _waiting.Dequeue();
            _counters.Count("dropped");
            _problems.Warning("dropped", "The boundary is behind: dropped the oldest waiting transition ({Max} wait)", _settings.MaxWaiting);
        }

        Next();
    }

    private void Next()
    {
        if (_current is not null || !_waiting.TryDequeue(out var transition))
        {
            return;
        }

        var prompt = new List<CortexMessage> { new("system", AssessmentPrompt), new("user", Facts(transition)) };
        _current = new Assessment(Guid.NewGuid(), transition, prompt, _clock.GetTimestamp());
        Ask(_current);
    }

    /// <summary>The transition and the trigger waves still known, as JSON for the model.</summary>
    private string Facts(GateTransitionBody transition)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("gate_id", transition.GateId);
            json.WriteString("domain", transition.Domain);
            json.WriteString("from_state", transition.FromState.ToString().ToUpperInvariant());
            json.WriteNumber("state_value", Math.Round(transition.StateValue, 3));
            json.WriteNumber("correlation_score", Math.Round(transition.CorrelationScore, 3));
            json.WriteNumber("routed_to_tier", transition.RoutedToTier);
            json.WriteStartArray("waves");
            foreach (var wave in transition.TriggerWaves.Where(_waves.ContainsKey).TakeLast(8).Select(id => _waves[id]))
            {
                json.WriteStartObject();
                json.WriteString("domain", wave.Domain);
                json.WriteNumber("confidence", Math.Round(wave.Confidence, 3));
                json.WritePropertyName("content");
                wave.Content.WriteTo(json);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return PrintableText.Prose(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan), CortexRequestBody.MaxPromptCharacters / 2);
    }

    private void Ask(Assessment assessment)
    {
        assessment.Attempts++;
        var deadline = new CancellationTokenSource(_settings.Timeout);
        var id = assessment.Id;
        _functionGemma.CompleteAsync(new CortexCall(assessment.Conversation, _settings.MaxTokens, CortexSchemas.CognitiveAssessment, 0), deadline.Token).ContinueWith(
            t =>
            {
                deadline.Dispose();
                return t.Status == TaskStatus.RanToCompletion
                    ? new Assessed(id, t.Result, null, null)
                    : t.Exception?.GetBaseException() is CortexCallException e
                        ? new Assessed(id, null, e.Reason, e.Message)
                        : new Assessed(id, null, CortexReasons.Timeout, $"no answer within {_settings.Timeout}");
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default).PipeTo(Self);
    }

    private void OnAssessed(Assessed assessed)
    {
        if (_current is not { } assessment || assessment.Id != assessed.Id)
        {
            return;
        }

        if (assessed.Completion is not { } completion)
        {
            Nack(assessment, assessed.Reason!, assessed.Detail!, null);
            return;
        }

        var problem = CortexSchemas.ProblemOf(completion.Content, CortexSchemaJsonContext.Default.CognitiveAssessment, out var value);
        if (problem is not null)
        {
            if (assessment.Attempts <= _settings.Retries)
            {
                _counters.Count("retries");
                assessment.Conversation.Add(new CortexMessage("assistant", completion.Content));
                assessment.Conversation.Add(new CortexMessage("user", PrintableText.Of($"That answer is not valid: {problem} Answer again with JSON that follows the schema exactly.", 2048)));
                Ask(assessment);
                return;
            }

            Nack(assessment, CortexReasons.InvalidOutput, $"{assessment.Attempts} answers, none valid; the last: {problem}", completion);
            return;
        }

        var found = (CognitiveAssessment)value!;
        _counters.Count("assessed");
        Trail(assessment, CortexTrailEvents.Answered, null, null, completion);
        var request = new CognitiveRequest(
            found.EventType, assessment.Transition.Domain, found.Confidence, found.StructuredInput, found.SuggestedActions, _settings.ProcessingBudget, _settings.CortexTimeoutMs);
        var question = new CortexRequestBody(
            Requester,
            [new CortexMessage("system", CortexPrompt), new CortexMessage("user", JsonSerializer.Serialize(request, CortexSchemaJsonContext.Default.CognitiveRequest))],
            _settings.CortexMaxTokens,
            CortexSchemas.DownstreamCommands,
            _settings.CortexTimeoutMs);
        _bridge.Tell(new Request<CortexRequestBody, CortexResponseBody>(_subjects.CortexRequest, Envelopes.Of(_source, question, clock: _clock), TimeSpan.FromMilliseconds(_settings.CortexTimeoutMs + 1000)));
        _current = null;
        Next();
    }

    private void Nack(Assessment assessment, string reason, string detail, CortexCompletion? last)
    {
        _counters.Count("nacked");
        _problems.Warning($"nack:{reason}", "NACK: the boundary could not assess gate {GateId} ({Reason}: {Detail})", assessment.Transition.GateId, reason, PrintableText.Of(detail, 512));
        Trail(assessment, CortexTrailEvents.Failed, reason, detail, last);
        _current = null;
        Next();
    }

    private void OnCortexAnswer(Response<CortexResponseBody> response)
    {
        var answer = response.Envelope.Body;
        if (answer.Status != RequestStatus.Answered)
        {
            _counters.Count($"cortex_{answer.Status}_{answer.Reason}");
            return;
        }

        if (CortexSchemas.ProblemOf(answer.Content!, CortexSchemaJsonContext.Default.CortexCommands, out var value) is { } problem)
        {
            _counters.Count("cortex_invalid");
            _problems.Warning("cortex-invalid", "The cortex's answer is no downstream_commands: {Problem}", problem);
            return;
        }

        foreach (var command in ((CortexCommands)value!).DownstreamCommands)
        {
            var (message, unroutable) = DownstreamRouter.Route(command, _subjects, _source, response.RequestId);
            if (message is not null)
            {
                _bridge.Tell(message);
                _counters.Count("routed");
                _log.Info("The cortex's {Command} sent down to {Target}", command.Command, command.Target);
            }
            else
            {
                _counters.Count("unroutable");
                _problems.Warning("unroutable", "A command of the cortex goes nowhere: {Problem}", unroutable!);
            }
        }
    }

    /// <summary>The assessment as a trail: the prompt as first asked, the last answer; a training example when it is valid.</summary>
    private void Trail(Assessment assessment, string trailEvent, string? reason, string? detail, CortexCompletion? completion)
    {
        var trail = new CortexTrailBody(
            assessment.Id, Requester, trailEvent, 0, reason, detail is null ? null : PrintableText.Of(detail), CortexSchemas.CognitiveAssessment,
            assessment.Prompt, completion?.Content, completion?.Model ?? _settings.Model, completion?.Usage, 0,
            _clock.GetElapsedTime(assessment.StartedAt).TotalMilliseconds, 0, _waiting.Count);
        _bridge.Tell(new PublishDurable<CortexTrailBody>(_subjects.CortexTrail, Envelopes.Of(_source, trail, clock: _clock)));
    }
}

/// <summary>What the boundary has done since start, by outcome (<c>assessed</c>, <c>retries</c>, <c>nacked</c>, <c>routed</c>, <c>unroutable</c>...); thread-safe, read by the status.</summary>
public sealed class BoundaryCounters
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public void Count(string outcome) => _counts.AddOrUpdate(outcome, 1, (_, n) => n + 1);

    public long this[string outcome] => _counts.GetValueOrDefault(outcome);

    public IReadOnlyDictionary<string, long> Snapshot() => _counts.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
}
