using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.Organs;

/// <summary>Messages understood by <see cref="OrganGatewayActor"/>.</summary>
public static class OrganGatewayMessages
{
    /// <summary>Ask for the organs' state; answered with <see cref="OrgansStatus"/>.</summary>
    public sealed record GetStatus
    {
        public static readonly GetStatus Instance = new();
    }

    /// <summary>One organ now: its lifecycle state, card, process and last load time, the calls for it in hand (waiting or in the organ), and its answers since start.</summary>
    public sealed record OrganReport(string State, string? Card, int? Pid, double? LoadMs, int InHand, long Answered, double? LastWorkMs);

    /// <summary>
    /// The organs of this host now: each organ, the calls in hand and what they may still cost, refusals and
    /// failures by reason since start, and the lifeforce booked.
    /// </summary>
    public sealed record OrgansStatus(
        IReadOnlyDictionary<string, OrganReport> Organs,
        int InHand,
        double LifeforceHeld,
        IReadOnlyDictionary<string, long> Refused,
        IReadOnlyDictionary<string, long> Failed,
        double LifeforceSpent);
}

/// <summary>The gateway's running counts, from which its <see cref="OrganGatewayMessages.OrgansStatus"/> is made. The gateway actor alone uses it.</summary>
internal sealed class OrganTally
{
    private readonly Dictionary<string, OrganGatewayMessages.OrganReport> _organs =
        OrganNames.All.ToDictionary(organ => organ, _ => new OrganGatewayMessages.OrganReport(OrganStates.Idle, null, null, null, 0, 0, null), StringComparer.Ordinal);

    private readonly Dictionary<string, long> _refused = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _failed = new(StringComparer.Ordinal);
    private double _lifeforceSpent;

    public void State(string organ, string state, string? card, int? pid, double? loadMs) =>
        _organs[organ] = _organs[organ] with { State = state, Card = card, Pid = pid, LoadMs = loadMs ?? _organs[organ].LoadMs };

    public void Ended(string organ, string status, string? reason, double workMs, double spent = 0)
    {
        switch (status)
        {
            case RequestStatus.Answered:
                _organs[organ] = _organs[organ] with { Answered = _organs[organ].Answered + 1, LastWorkMs = workMs };
                _lifeforceSpent += spent;
                break;
            case RequestStatus.Refused:
                _refused[reason!] = _refused.GetValueOrDefault(reason!) + 1;
                break;
            default:
                _failed[reason!] = _failed.GetValueOrDefault(reason!) + 1;
                break;
        }
    }

    /// <param name="inHand">The calls in hand, by organ.</param>
    /// <param name="held">What they may still cost.</param>
    public OrganGatewayMessages.OrgansStatus Snapshot(IReadOnlyDictionary<string, int> inHand, double held) =>
        new(_organs.ToDictionary(o => o.Key, o => o.Value with { InHand = inHand.GetValueOrDefault(o.Key) }), inHand.Values.Sum(), held,
            new Dictionary<string, long>(_refused), new Dictionary<string, long>(_failed), _lifeforceSpent);
}

/// <summary>The gateway's latest status, for readers outside the actor system (systemd's STATUS= line, <c>/api/status</c>); refreshed twice a second.</summary>
public sealed class OrganGauges
{
    private volatile OrganGatewayMessages.OrgansStatus? _latest;

    /// <summary>Null until the gateway has reported once.</summary>
    public OrganGatewayMessages.OrgansStatus? Latest => _latest;

    internal void Set(OrganGatewayMessages.OrgansStatus status) => _latest = status;
}
