using Akka.Actor;
using Nimmerverse.Actors.Telemetry;
using Akka.Event;
using Nimmerverse.Protocol;
using static Nimmerverse.Actors.Nats.NatsBridgeMessages;
using static Nimmerverse.Actors.Thalamus.ThalamusMessages;

namespace Nimmerverse.Actors.Thalamus;

/// <summary>
/// The thalamus: one <see cref="Gate"/> per wave domain, fed by every wave on
/// <c>{env}.nervous.*.*.wave</c>, decayed on a timer. Each transition goes to JetStream (it must
/// not be lost) on <c>{env}.thalamus.gate.open</c> when the gate opens and
/// <c>{env}.thalamus.gate.close</c> otherwise.
/// </summary>
public sealed class ThalamusActor : ReceiveActor, IWithTimers
{
    private readonly IActorRef _bridge;
    private readonly Subjects _subjects;
    private readonly GateSettings _settings;
    private readonly TimeProvider _clock;
    private readonly MessageSource _source;
    private readonly Subject _opened;
    private readonly Subject _closed;
    private readonly Dictionary<string, Gate> _gates = new(StringComparer.Ordinal);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _refusedNewDomains;

    private sealed record StepGates
    {
        public static readonly StepGates Instance = new();
    }

    public ThalamusActor(IActorRef bridge, Subjects subjects, GateSettings settings, string hostName, TimeProvider clock)
    {
        _bridge = bridge;
        _subjects = subjects;
        _settings = settings;
        _clock = clock;
        _source = new MessageSource($"thalamus@{hostName}", "thalamus", 2);
        (_opened, _closed) = (subjects.GateTransition(open: true), subjects.GateTransition(open: false));

        Receive<Subscribed>(s => _log.Info("Thalamus listening for waves on {Subject}", s.Pattern));
        Receive<WaveDigests>(OnWaves);
        Receive<StepGates>(_ => Step());
        Receive<GetGates>(_ => Sender.Tell(new GateStates(_gates.ToDictionary(g => g.Key, g => (g.Value.State, g.Value.Value)), _refusedNewDomains)));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef bridge, Subjects subjects, GateSettings settings, string hostName, TimeProvider? clock = null) =>
        Akka.Actor.Props.Create(() => new ThalamusActor(bridge, subjects, settings, hostName, clock ?? TimeProvider.System));

    protected override void PreStart()
    {
        // The waves of every cell and nerve, and the organs' (what they saw and heard).
        // Digests, not envelopes: the gates need four fields of a wave, and waves are the busiest traffic.
        _bridge.Tell(new SubscribeWaveDigests(_subjects.Waves, Self));
        _bridge.Tell(new SubscribeWaveDigests(_subjects.OrganWaves, Self));
        Timers.StartPeriodicTimer(nameof(StepGates), StepGates.Instance, _settings.StepInterval);
    }

    private void OnWaves(WaveDigests batch)
    {
        for (var i = 0; i < batch.Waves.Count; i++)
        {
            OnWave(batch.Waves[i]);
        }
    }

    private void OnWave(WaveDigest wave)
    {
        if (!_gates.TryGetValue(wave.Domain, out var gate))
        {
            if (_gates.Count >= _settings.MaxGates)
            {
                _refusedNewDomains++;
                return;
            }

            gate = new Gate(wave.Domain, _settings, _clock);
            _gates.Add(wave.Domain, gate);
        }

        Report(gate.OnWave(wave.MessageId, wave.Confidence, wave.SourceTier));
    }

    private void Step()
    {
        foreach (var (domain, gate) in _gates)
        {
            Report(gate.Step());
            OrganismMetrics.Gate(domain, gate.State, gate.Value);
        }
    }

    private void Report(GateTransitionBody? transition)
    {
        if (transition is null)
        {
            return;
        }

        OrganismMetrics.GateCrossed(transition.Domain, transition.ToState);
        if (_log.IsInfoEnabled)
        {
            _log.Info("Gate {GateId} went {FromState} -> {ToState} at {StateValue:F3}, routed to tier {RoutedToTier}", transition.GateId, transition.FromState, transition.ToState, transition.StateValue, transition.RoutedToTier);
        }

        var envelope = Envelopes.Of(_source, transition);
        _bridge.Tell(new PublishDurable<GateTransitionBody>(transition.ToState == GateState.Open ? _opened : _closed, envelope));
    }
}
