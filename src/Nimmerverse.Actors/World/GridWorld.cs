using Nimmerverse.Protocol;

namespace Nimmerverse.Actors.World;

/// <summary>
/// The grid world's rules, without actors or I/O: episodes per citizen (a goal house, a random
/// start, a step budget), moves, collisions, rewards and lifeforce, quiz rounds, and the
/// curriculum's level-ups. Deterministic for a seed and a sequence of steps. The citizens live in
/// villages of <see cref="GridWorldSettings.VillageSize"/> homes, each on a map of its own; errands
/// and quizzes stay within a citizen's village, and all villages share the curriculum's level.
/// A step costs the same however many citizens there are (see GridWorld.Occupancy.cs).
/// </summary>
public sealed partial class GridWorld
{
    private readonly GridWorldSettings _settings;
    private readonly Curriculum _curriculum;
    private readonly Random _random;
    private readonly TimeProvider _clock;
    private readonly Citizen[] _citizens;
    private Village[] _villages;

    // Lifeforce earned and spent by all NPCs since TakeLifeforce was last called.
    private double _earned;
    private double _spent;

    public GridWorld(GridWorldSettings settings, TimeProvider? clock = null)
    {
        _settings = settings;
        _curriculum = settings.Curriculum;
        _random = new Random(settings.Seed);
        _clock = clock ?? TimeProvider.System;
        _citizens = Enumerable.Range(0, settings.Citizens).Select(id => new Citizen(id, id / settings.VillageSize, settings.InitialLifeforce)).ToArray();
        _villages = BuildVillages(0);
        _occupants = new int[_villages.Length * _villages[0].Map.NodeCount];
    }

    /// <summary>The villages, in citizen order: village v is home to citizens v × VillageSize onwards.</summary>
    public IReadOnlyList<Village> Villages => _villages;

    public int Level => _villages[0].Level;

    /// <summary>Every village's map: the villages differ in their houses, not in their size.</summary>
    public GridMap Map => _villages[0].Map;

    public long Collisions { get; private set; }

    /// <summary>Level-ups since the world began (the actor logs each one).</summary>
    public int LevelUps { get; private set; }

    /// <summary>Lifeforce earned and spent by all NPCs since the last call (the actor books it to the ledger).</summary>
    public (double Earned, double Spent) TakeLifeforce()
    {
        var taken = (_earned, _spent);
        (_earned, _spent) = (0, 0);
        return taken;
    }

    /// <summary>
    /// One step of NPC <paramref name="npcId"/>: <paramref name="move"/> 0..3 (N, S, E, W), or null
    /// to look without moving. Returns the observation, or an error for an id that is no citizen.
    /// </summary>
    public (WorldObservation? Observation, string? Error) Step(int npcId, int? move)
    {
        if (NotACitizen(npcId) is { } error)
        {
            return (null, error);
        }

        var citizen = _citizens[npcId];
        Seen(citizen, _clock.GetUtcNow());
        if (citizen.EpisodeLevel != Level)
        {
            // A new citizen, or one whose episode the last level-up ended.
            var interrupted = citizen.EpisodeLevel >= 0;
            StartEpisode(citizen);
            return (Observe(citizen, 0, done: interrupted, success: false, collision: false), null);
        }

        if (move is not { } direction)
        {
            return (Observe(citizen, 0, done: false, success: false, collision: false), null);
        }

        var reward = -_settings.StepCost;
        var collision = false;
        if (Map.Neighbour(citizen.Node, direction) is not { } target)
        {
            reward -= _settings.BumpPenalty;
        }
        else if (Occupants(citizen, target) >= _settings.NodeCapacity)
        {
            reward -= _settings.CollisionPenalty;
            collision = true;
            Collisions++;
        }
        else
        {
            MoveTo(citizen, target);
            Spend(citizen, _settings.MoveCost);
        }

        citizen.StepsLeft--;
        var success = citizen.Node == HomeOf(citizen.Goal).Node;
        var done = success || citizen.StepsLeft == 0;
        if (success)
        {
            reward += _settings.GoalReward;
            citizen.Lifeforce += _settings.GoalIncome;
            _earned += _settings.GoalIncome;
        }

        if (done)
        {
            // The next episode starts at once (on the next level's map if this one levelled up),
            // so the brain needs one request per tick.
            EndEpisode(citizen, success);
            StartEpisode(citizen);
        }

        return (Observe(citizen, reward, done, success, collision), null);
    }

    /// <summary>
    /// A newcomer's brain takes the citizen's place (<c>Npc:Lifetime</c>): the citizen starts over as the world's newcomer.
    /// Its training episodes count from nothing, so its first quiz comes after as many as any brain's; a round the brain
    /// before it was in the middle of is dropped, and so is that brain's standing: a round examines a brain, and this one
    /// has taken none. Its lifeforce is the citizen's and stays. Returns an error for an id that is no citizen.
    /// </summary>
    public string? StartOver(int npcId)
    {
        if (NotACitizen(npcId) is { } error)
        {
            return error;
        }

        var citizen = _citizens[npcId];
        citizen.TrainingEpisodes = 0;
        citizen.DropRounds();
        if (citizen.EpisodeLevel >= 0)
        {
            StartEpisode(citizen); // not the quiz episode the brain before it was in
        }

        return null;
    }

    /// <summary>The quiz standings of every citizen at the current level.</summary>
    public QuizReportBody Report() => new(
        Level,
        _curriculum.MaxLevel,
        Map.Rows,
        Map.Columns,
        AllPassed(),
        _citizens.Select(c => c.Latest ?? new QuizStanding(c.Id, c.Rounds, 0, 0, false)).ToArray());

    private bool AllPassed() => _citizens.All(c => c.Latest is { Passed: true });

    private void StartEpisode(Citizen citizen)
    {
        citizen.EpisodeLevel = Level;
        citizen.Episode++;
        if (citizen.QuizGoals.TryDequeue(out var quizGoal))
        {
            citizen.Goal = quizGoal;
            citizen.Quiz = true;
        }
        else
        {
            citizen.Quiz = false;
            citizen.Goal = _villages[citizen.Village].Homes.Count == 1 || _random.NextDouble() < _settings.OwnHomeShare
                ? citizen.Id
                : OtherNeighbour(citizen);
        }

        var goalNode = HomeOf(citizen.Goal).Node;
        MoveTo(citizen, FreeStart(goalNode, citizen));
        citizen.StepsLeft = GridWorldSettings.StepBudget(Map.Distance(citizen.Node, goalNode));
    }

    private void EndEpisode(Citizen citizen, bool success)
    {
        if (citizen.Quiz)
        {
            citizen.QuizAsked++;
            citizen.QuizFound += success ? 1 : 0;
            if (citizen.QuizGoals.Count == 0)
            {
                citizen.Rounds++;
                citizen.Latest = new QuizStanding(citizen.Id, citizen.Rounds, citizen.QuizFound, citizen.QuizAsked, citizen.QuizFound == citizen.QuizAsked);
                if (AllPassed() && Level < _curriculum.MaxLevel)
                {
                    LevelUp();
                }
            }

            return;
        }

        citizen.TrainingEpisodes++;
        if (citizen.TrainingEpisodes % _settings.QuizEvery == 0)
        {
            var goals = _villages[citizen.Village].Homes.Select(h => h.Citizen).ToArray();
            _random.Shuffle(goals);
            foreach (var goal in goals)
            {
                citizen.QuizGoals.Enqueue(goal);
            }

            (citizen.QuizFound, citizen.QuizAsked) = (0, 0);
        }
    }

    private void LevelUp()
    {
        _villages = BuildVillages(Level + 1);
        ClearOccupancy();
        LevelUps++;
        foreach (var citizen in _citizens)
        {
            citizen.DropRounds();
        }
    }

    /// <summary>Why <paramref name="npcId"/> names no citizen; null if it names one.</summary>
    private string? NotACitizen(int npcId) =>
        npcId < 0 || npcId >= _citizens.Length ? $"npc {npcId} is not a citizen of this world (0..{_citizens.Length - 1})" : null;

    /// <summary>Another citizen of <paramref name="citizen"/>'s village, uniformly.</summary>
    private int OtherNeighbour(Citizen citizen)
    {
        var village = _villages[citizen.Village];
        var other = village.FirstCitizen + _random.Next(village.Homes.Count - 1);
        return other >= citizen.Id ? other + 1 : other;
    }

    private House HomeOf(int citizen) => _villages[_citizens[citizen].Village].HomeOf(citizen);

    private Village[] BuildVillages(int level)
    {
        var size = _settings.VillageSize;
        return Enumerable.Range(0, _settings.Villages)
            .Select(v => Village.Build(_curriculum, level, v * size, Math.Min(size, _citizens.Length - (v * size)), _random))
            .ToArray();
    }

    /// <summary>A random start that is not the goal and has room; on a crowded grid, any node but the goal.</summary>
    private int FreeStart(int goalNode, Citizen citizen)
    {
        for (var attempt = 0; attempt < 64; attempt++)
        {
            var node = _random.Next(Map.NodeCount);
            if (node != goalNode && Occupants(citizen, node) < _settings.NodeCapacity)
            {
                return node;
            }
        }

        var fallback = _random.Next(Map.NodeCount - 1);
        return fallback >= goalNode ? fallback + 1 : fallback;
    }

    private void Spend(Citizen citizen, double amount)
    {
        citizen.Lifeforce -= amount;
        _spent += amount;
    }

    private WorldObservation Observe(Citizen citizen, double reward, bool done, bool success, bool collision)
    {
        var goal = HomeOf(citizen.Goal);
        var open = new List<string>(4);
        var blocked = new List<string>(4);
        for (var move = 0; move < 4; move++)
        {
            if (Map.Neighbour(citizen.Node, move) is { } neighbour)
            {
                open.Add(Moves.All[move]);
                if (Occupants(citizen, neighbour) >= _settings.NodeCapacity)
                {
                    blocked.Add(Moves.All[move]);
                }
            }
        }

        return new WorldObservation(
            citizen.Id, Level, Map.Rows, Map.Columns, citizen.Node, goal.Traits, goal.Description,
            open, blocked, reward, done, success, collision, citizen.Episode, citizen.Quiz, citizen.StepsLeft, citizen.Lifeforce);
    }

    private sealed partial class Citizen(int id, int village, double lifeforce)
    {
        public int Id { get; } = id;

        /// <summary>The index of the village this citizen is home to.</summary>
        public int Village { get; } = village;

        public double Lifeforce { get; set; } = lifeforce;

        public int Node { get; set; } = -1;

        public int Goal { get; set; }

        public int StepsLeft { get; set; }

        public long Episode { get; set; }

        public bool Quiz { get; set; }

        /// <summary>The level the current episode belongs to; -1 before the first.</summary>
        public int EpisodeLevel { get; set; } = -1;

        public long TrainingEpisodes { get; set; }

        public Queue<int> QuizGoals { get; } = new();

        public int QuizFound { get; set; }

        public int QuizAsked { get; set; }

        public int Rounds { get; set; }

        public QuizStanding? Latest { get; set; }

        /// <summary>No round taken, none in progress (a round's counts start over when its next round begins).</summary>
        public void DropRounds()
        {
            (Latest, Rounds) = (null, 0);
            QuizGoals.Clear();
        }
    }
}
