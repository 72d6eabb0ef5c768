namespace Nimmerverse.Actors.Governor;

/// <summary>
/// Each NPC's exploration draw, drawn afresh every few epochs rather than every epoch. What a rate
/// buys shows over the tens of epochs a decision is credited with, and one epoch's draw is a
/// thirtieth of the ticks in that credit, lost in the noise of the other draws; a draw held for
/// several epochs buys enough to be seen (smooth exploration: Raffin et al., 2021, resample their
/// noise every few steps for the same reason).
/// </summary>
/// <param name="holdEpochs">Epochs an NPC keeps one draw (1: a fresh draw every epoch).</param>
/// <param name="draw">A fresh draw.</param>
internal sealed class HeldDraws(int holdEpochs, Func<float[]> draw)
{
    private readonly int _holdEpochs = holdEpochs >= 1 ? holdEpochs : throw new ArgumentOutOfRangeException(nameof(holdEpochs), holdEpochs, "at least one epoch");
    private readonly Dictionary<int, (float[] Draw, int Left)> _held = [];

    /// <summary>This epoch's draw for the NPC: its own copy, to keep with the decision.</summary>
    public float[] For(int npcId)
    {
        if (!_held.TryGetValue(npcId, out var held) || held.Left == 0)
        {
            held = (draw(), _holdEpochs);
        }

        _held[npcId] = (held.Draw, held.Left - 1);
        return (float[])held.Draw.Clone();
    }

    /// <summary>The NPC's next decision draws afresh (its brain started again, or it left).</summary>
    public void Forget(int npcId) => _held.Remove(npcId);

    /// <summary>Forgets the NPCs not in <paramref name="present"/>.</summary>
    public void Retain(IReadOnlySet<int> present)
    {
        foreach (var gone in _held.Keys.Where(id => !present.Contains(id)).ToList())
        {
            _held.Remove(gone);
        }
    }
}
