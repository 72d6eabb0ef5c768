namespace Nimmerverse.Actors.Governor;

/// <summary>
/// Credit over many epochs. What a decision about an NPC buys (a brain that knows more) shows
/// minutes later, so each NPC's decisions wait here with what followed them until
/// <see cref="Horizon"/> more epochs have passed; then a decision's advantage is the generalized
/// advantage estimate (Schulman et al., 2016) over those epochs, bootstrapped with the critic's
/// value of the last: the rewards that followed it, each discounted, against what the critic
/// expected. A trajectory ends when its NPC is absent or its brain starts afresh: what follows a
/// new process says nothing of the old one's decisions.
/// </summary>
/// <param name="horizon">Epochs of rewards a decision is credited with (at least 1).</param>
/// <param name="discount">γ: what a reward one epoch later is worth against one now; 0 credits each decision with its own epoch alone.</param>
/// <param name="lambda">λ: how far the estimate trusts the rewards seen over the critic's values (1: rewards only).</param>
public sealed class DelayedCredit(int horizon, double discount, double lambda)
{
    private readonly Dictionary<int, List<Step>> _trajectories = [];

    /// <summary>One decision about one NPC: what it saw, what was done, the critic's value of what it saw, and the reward of the epoch that followed.</summary>
    public readonly record struct Step(float[] Inputs, float[] Actions, float Value, float Reward);

    /// <summary>A decision whose credit is known: its advantage, and the return the critic should have expected.</summary>
    public readonly record struct Credited(float[] Inputs, float[] Actions, float Advantage, float Return);

    public int Horizon { get; } = horizon >= 1 ? horizon : throw new ArgumentOutOfRangeException(nameof(horizon), horizon, "at least one epoch");

    /// <summary>Decisions still waiting for their credit.</summary>
    public int Pending => _trajectories.Values.Sum(t => t.Count);

    public void Add(int npcId, Step step)
    {
        if (!_trajectories.TryGetValue(npcId, out var trajectory))
        {
            _trajectories[npcId] = trajectory = new List<Step>(Horizon + 1);
        }

        trajectory.Add(step);
    }

    /// <summary>Ends the trajectory of the NPC: its waiting decisions are never credited.</summary>
    public void Forget(int npcId) => _trajectories.Remove(npcId);

    /// <summary>Ends the trajectories of NPCs not in <paramref name="present"/>.</summary>
    public void Retain(IReadOnlySet<int> present)
    {
        foreach (var gone in _trajectories.Keys.Where(id => !present.Contains(id)).ToList())
        {
            _trajectories.Remove(gone);
        }
    }

    /// <summary>Appends to <paramref name="credited"/> every decision with <see cref="Horizon"/> epochs behind it, oldest first, and lets it go.</summary>
    public void Collect(List<Credited> credited)
    {
        var decay = discount * lambda;
        foreach (var trajectory in _trajectories.Values)
        {
            while (trajectory.Count > Horizon)
            {
                // δ_k = r_k + γ·V(s_{k+1}) - V(s_k); the advantage is Σ (γλ)^k δ_k over the horizon.
                double advantage = 0, weight = 1;
                for (var k = 0; k < Horizon; k++)
                {
                    var delta = trajectory[k].Reward + (discount * trajectory[k + 1].Value) - trajectory[k].Value;
                    advantage += weight * delta;
                    weight *= decay;
                }

                var first = trajectory[0];
                credited.Add(new Credited(first.Inputs, first.Actions, (float)advantage, (float)(advantage + first.Value)));
                trajectory.RemoveAt(0);
            }
        }
    }
}
