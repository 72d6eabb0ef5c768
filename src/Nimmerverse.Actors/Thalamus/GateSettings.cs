namespace Nimmerverse.Actors.Thalamus;

/// <summary>How thalamus gates move; bound from <c>Nimmerverse:Thalamus</c> (defaults in docs/configuration.md).</summary>
/// <param name="CorrelationWindow">Waves of one domain within this window are correlated. Default 1.5 s.</param>
/// <param name="Decay">Each step the gate value is multiplied by this. Default 0.95.</param>
/// <param name="StepInterval">How often gates decay. Default 100 ms.</param>
/// <param name="OpenThreshold">Above it the gate is OPEN (escalate). Default +0.5.</param>
/// <param name="CloseThreshold">Below it the gate is CLOSED (suppress). Default -0.5.</param>
/// <param name="WaveWeight">How far one fully correlated, fully confident wave moves the gate. Default 0.25.</param>
/// <param name="MaxGates">Domains come from data; past this many gates a wave of a new domain is refused and counted. Default 256.</param>
public sealed record GateSettings(
    TimeSpan CorrelationWindow,
    double Decay = 0.95,
    TimeSpan? StepInterval = null,
    double OpenThreshold = 0.5,
    double CloseThreshold = -0.5,
    double WaveWeight = 0.25,
    int MaxGates = 256)
{
    public static readonly GateSettings Default = new(TimeSpan.FromSeconds(1.5));

    public TimeSpan EffectiveStepInterval => StepInterval ?? TimeSpan.FromMilliseconds(100);
}
