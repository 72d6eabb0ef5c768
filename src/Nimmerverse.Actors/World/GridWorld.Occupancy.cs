namespace Nimmerverse.Actors.World;

/// <summary>
/// Who stands where: collisions, crowded moves and free starts need the number of citizens on a
/// node. A citizen counts while it is present (it stepped within <see cref="GridWorldSettings.AbsentAfter"/>
/// and is in an episode of the current level). The counts are kept as citizens move, and those gone
/// quiet are forgotten from the front of a list ordered by when each was last seen, so a step costs
/// O(1) (amortised) however many citizens live in the world, where counting by scanning every citizen
/// cost O(n) several times a step.
/// </summary>
public sealed partial class GridWorld
{
    // Present citizens per node, village by village: _occupants[(village * nodes) + node].
    private int[] _occupants;

    // Citizens seen within AbsentAfter, the longest unseen first.
    private readonly LinkedList<Citizen> _recent = new();

    /// <summary>Marks <paramref name="citizen"/> seen at <paramref name="now"/>, after forgetting those not seen for too long.</summary>
    private void Seen(Citizen citizen, DateTimeOffset now)
    {
        var absentBefore = now - _settings.AbsentAfter;
        while (_recent.First is { } oldest && oldest.Value.LastSeen < absentBefore)
        {
            _recent.Remove(oldest);
            Leave(oldest.Value);
        }

        citizen.LastSeen = now;
        if (citizen.Recent.List is not null)
        {
            _recent.Remove(citizen.Recent);
        }

        _recent.AddLast(citizen.Recent);
        Enter(citizen);
    }

    /// <summary>Counts <paramref name="citizen"/> on its node if it is present and not counted yet.</summary>
    private void Enter(Citizen citizen)
    {
        if (!citizen.Counted && citizen.Recent.List is not null && citizen.EpisodeLevel == Level && citizen.Node >= 0)
        {
            _occupants[Slot(citizen, citizen.Node)]++;
            citizen.Counted = true;
        }
    }

    private void Leave(Citizen citizen)
    {
        if (citizen.Counted)
        {
            _occupants[Slot(citizen, citizen.Node)]--;
            citizen.Counted = false;
        }
    }

    private void MoveTo(Citizen citizen, int node)
    {
        Leave(citizen);
        citizen.Node = node;
        Enter(citizen);
    }

    /// <summary>Present citizens other than <paramref name="self"/> on <paramref name="node"/> of its village.</summary>
    private int Occupants(Citizen self, int node) =>
        _occupants[Slot(self, node)] - (self.Counted && self.Node == node ? 1 : 0);

    /// <summary>After a level-up or a restore: no citizen is in an episode of this level yet.</summary>
    private void ClearOccupancy()
    {
        foreach (var citizen in _citizens)
        {
            citizen.Counted = false;
        }

        _occupants = new int[_villages.Length * Map.NodeCount];
    }

    /// <summary>
    /// Recounts every node by scanning all citizens (what a step did before the counts were kept) and
    /// returns the first node whose kept count differs, or null: the counts' check in tests.
    /// </summary>
    internal string? RecountProblem()
    {
        var absentBefore = _clock.GetUtcNow() - _settings.AbsentAfter;
        var counted = new int[_occupants.Length];
        foreach (var citizen in _citizens.Where(c => c.EpisodeLevel == Level && c.LastSeen >= absentBefore))
        {
            counted[Slot(citizen, citizen.Node)]++;
        }

        var wrong = Enumerable.Range(0, counted.Length).FirstOrDefault(i => counted[i] != _occupants[i], -1);
        return wrong < 0 ? null : $"village {wrong / Map.NodeCount} node {wrong % Map.NodeCount}: {_occupants[wrong]} kept, {counted[wrong]} recounted";
    }

    private int Slot(Citizen citizen, int node) => (citizen.Village * Map.NodeCount) + node;

    private sealed partial class Citizen
    {
        private LinkedListNode<Citizen>? _recent;

        public DateTimeOffset LastSeen { get; set; }

        /// <summary>This citizen's place in the world's list of recently seen citizens (in it or not).</summary>
        public LinkedListNode<Citizen> Recent => _recent ??= new LinkedListNode<Citizen>(this);

        /// <summary>Whether the node counts include this citizen.</summary>
        public bool Counted { get; set; }
    }
}
